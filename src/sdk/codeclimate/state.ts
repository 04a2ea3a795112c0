/** codeclimate-connector-sdk's state: one checkpoint per stream, synchronous. */
export interface State {
  checkpointTime: Date;
  metadata?: object;
}

export interface StateManager {
  set(state: State): void;
  get(): State | null;
}
