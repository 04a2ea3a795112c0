/**
 * What the runner (in the connector's process) and the driver (in Sluice)
 * say to each other: the job on the command line, then one JSON message per
 * line on file descriptor 3. A blocking write on that pipe is the
 * backpressure: a connector that produces faster than the store writes waits
 * inside `produce()`.
 */
import type { VerifyConfigurationResult } from "../../sdk/codeclimate/client.js";
import type { StreamRecord } from "../../sdk/codeclimate/stream.js";

export type RunnerVerb = "verify-configuration" | "discover-streams" | "sync-stream" | "sync";

/** A checkpoint as it crosses the pipe and sits in the store: checkpointTime as ISO text, null when not a time. */
export interface StoredState {
  checkpointTime: string | null;
  metadata?: object;
}

export interface RunnerJob {
  /** The connector's main module (absolute path). */
  entry: string;
  slug: string;
  verb: RunnerVerb;
  /** The config JSON's top-level keys, handed to the Client as a Map. */
  config: Record<string, unknown>;
  /** sync-stream: the stream to sync. sync: none (every discovered, subscribed stream). */
  stream?: StreamRecord;
  /** An explicit earliestDataCutoff (ISO); otherwise the stream's last successful sync, else `defaultCutoff`. */
  earliestDataCutoff?: string;
  defaultCutoff: string;
  lastSuccessfulSync: Record<string, string>;
  states: Record<string, StoredState>;
  /** channel: records to the store through fd 3. console: upstream CLI's printed output. */
  output: "channel" | "console";
  verbose: boolean;
}

export type RunnerMessage =
  | { t: "records"; type: string; records: object[] }
  | { t: "state"; stream: string; state: StoredState }
  | { t: "stream-done"; stream: string }
  | { t: "log"; level: "error" | "warn" | "info" | "debug"; line: string }
  | { t: "verified"; result: VerifyConfigurationResult }
  | { t: "failed"; name: string; message: string; stack?: string; record?: { type?: unknown; id?: unknown } };

/** The state of every stream, as one JSON value in the store. */
export interface ConnectorState {
  streams: Record<string, StoredState>;
  lastSuccessfulSync: Record<string, string>;
}
