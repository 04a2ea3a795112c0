/** codeclimate-connector-sdk's state: one checkpoint per stream, synchronous. */
export interface State {
  checkpointTime: Date;
  metadata?: object;
}

export interface StateManager {
  /**
   * Upstream declares `set: (State) => void`: a parameter *named* State, so of
   * type any. Published connectors rely on that (circleci passes a
   * `Date | null` checkpointTime), so it stays as loose.
   */
  // biome-ignore lint/suspicious/noExplicitAny: upstream's public type
  set: (state: any) => void;
  get: () => State | null;
}
