/**
 * The Airbyte protocol messages Sluice reads from a source's stdout (one JSON
 * object per line), as the Airbyte protocol (v0) defines them; only the
 * fields Sluice uses are typed.
 */

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
