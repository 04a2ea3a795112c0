/**
 * The Airbyte protocol messages Sluice reads from a source's stdout (one JSON
 * object per line), as the Airbyte protocol (v0) defines them; only the
 * fields Sluice uses are typed.
 */
import { isJsonObject } from "../../json.js";

export interface StreamDescriptorMessage {
  name: string;
  namespace?: string;
}

export interface AirbyteStream {
  name: string;
  namespace?: string;
  json_schema: { properties?: Record<string, { type?: string | string[]; format?: string }> } & object;
  supported_sync_modes?: ("full_refresh" | "incremental")[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
}

export type DestinationSyncMode = "append" | "overwrite" | "append_dedup";

export interface ConfiguredStream {
  stream: AirbyteStream;
  sync_mode: "full_refresh" | "incremental";
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredCatalog {
  streams: ConfiguredStream[];
}

export interface StreamState {
  stream_descriptor: StreamDescriptorMessage;
  stream_state?: unknown;
}

export interface StateMessage {
  type?: "LEGACY" | "STREAM" | "GLOBAL";
  stream?: StreamState;
  global?: { shared_state?: unknown; stream_states: StreamState[] };
  data?: unknown;
}

export type AirbyteMessage =
  | {
      type: "RECORD";
      record: { stream: string; namespace?: string; data: Record<string, unknown>; emitted_at?: number };
    }
  | { type: "STATE"; state: StateMessage }
  | { type: "LOG"; log: { level: string; message: string; stack_trace?: string } }
  | { type: "TRACE"; trace: TraceMessage }
  | {
      type: "CONTROL";
      control: { type: string; emitted_at?: number; connectorConfig?: { config: Record<string, unknown> } };
    }
  | { type: "SPEC"; spec: { connectionSpecification: object; documentationUrl?: string } }
  | { type: "CATALOG"; catalog: { streams: AirbyteStream[] } }
  | { type: "CONNECTION_STATUS"; connectionStatus: { status: "SUCCEEDED" | "FAILED"; message?: string } };

export interface TraceMessage {
  type: "ERROR" | "ESTIMATE" | "STREAM_STATUS" | "ANALYTICS";
  error?: { message: string; internal_message?: string; stack_trace?: string; failure_type?: string };
  estimate?: { name: string; namespace?: string; type: "STREAM" | "SYNC"; row_estimate?: number };
  stream_status?: { stream_descriptor: StreamDescriptorMessage; status: string };
}

/** Per message type: what is wrong with the fields the driver reads, if anything. */
const REQUIRED: Record<string, (message: Record<string, unknown>) => string | undefined> = {
  RECORD: ({ record }) =>
    !isJsonObject(record)
      ? '"record" is not an object'
      : typeof record.stream !== "string"
        ? '"record.stream" is not a string'
        : !isJsonObject(record.data)
          ? '"record.data" is not an object'
          : undefined,
  STATE: ({ state }) => {
    if (!isJsonObject(state)) return '"state" is not an object';
    if (state.type !== "STREAM" || state.stream === undefined) return undefined;
    const stream = state.stream as Record<string, unknown> | null;
    return isJsonObject(stream) &&
      isJsonObject(stream.stream_descriptor) &&
      typeof stream.stream_descriptor.name === "string"
      ? undefined
      : '"state.stream.stream_descriptor.name" is not a string';
  },
  LOG: ({ log }) =>
    isJsonObject(log) && typeof log.message === "string" ? undefined : '"log.message" is not a string',
  TRACE: ({ trace }) => {
    if (!isJsonObject(trace)) return '"trace" is not an object';
    if (trace.error !== undefined && !isJsonObject(trace.error)) return '"trace.error" is not an object';
    if (trace.type !== "ESTIMATE") return undefined;
    return isJsonObject(trace.estimate) && typeof trace.estimate.name === "string"
      ? undefined
      : '"trace.estimate.name" is not a string';
  },
  CONTROL: ({ control }) =>
    !isJsonObject(control)
      ? '"control" is not an object'
      : control.connectorConfig !== undefined &&
          !(isJsonObject(control.connectorConfig) && isJsonObject(control.connectorConfig.config))
        ? '"control.connectorConfig.config" is not an object'
        : undefined,
  SPEC: ({ spec }) =>
    isJsonObject(spec) && isJsonObject(spec.connectionSpecification)
      ? undefined
      : '"spec.connectionSpecification" is not an object',
  CATALOG: ({ catalog }) =>
    isJsonObject(catalog) && Array.isArray(catalog.streams) ? undefined : '"catalog.streams" is not an array',
  CONNECTION_STATUS: ({ connectionStatus }) =>
    isJsonObject(connectionStatus) && typeof connectionStatus.status === "string"
      ? undefined
      : '"connectionStatus.status" is not a string',
};

/**
 * What keeps a message from being the AirbyteMessage its type says, for the
 * fields Sluice reads (other types and fields pass: the protocol grows).
 */
export function airbyteMessageProblem(message: { type: string } & Record<string, unknown>): string | undefined {
  return Object.hasOwn(REQUIRED, message.type) ? REQUIRED[message.type](message) : undefined;
}
