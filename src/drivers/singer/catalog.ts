/**
 * Singer catalogs (what `--discover` prints): streams with a JSON Schema, key
 * properties and replication metadata; a stream is selected with the
 * `selected` metadata at breadcrumb [] (and, for older taps, `schema.selected`).
 */
import { ConnectorProtocolError } from "../../errors.js";
import type { StreamDescriptor } from "../types.js";

export interface SingerMetadata {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

export interface SingerStream {
  tap_stream_id?: string;
  stream: string;
  schema: { properties?: Record<string, { type?: string | string[]; format?: string }>; selected?: boolean } & object;
  key_properties?: string[];
  metadata?: SingerMetadata[];
}

export interface SingerCatalog {
  streams: SingerStream[];
}

export function parseCatalog(text: string, where: string): SingerCatalog {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConnectorProtocolError(`${where} is not a JSON catalog: ${(error as Error).message}`);
  }
  if (!Array.isArray((value as SingerCatalog)?.streams))
    throw new ConnectorProtocolError(`${where} has no "streams" array`);
  return value as SingerCatalog;
}

const topLevel = (stream: SingerStream): Record<string, unknown> =>
  stream.metadata?.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};

export function describeStream(stream: SingerStream): StreamDescriptor {
  const meta = topLevel(stream);
  const key = stream.key_properties ?? (meta["table-key-properties"] as string[] | undefined) ?? [];
  const method = String(meta["forced-replication-method"] ?? meta["replication-method"] ?? "");
  const incremental = method.toUpperCase() === "INCREMENTAL" || Array.isArray(meta["valid-replication-keys"]);
  return {
    name: stream.stream,
    jsonSchema: stream.schema,
    primaryKey: key,
    syncModes: incremental ? ["incremental", "full_refresh"] : ["full_refresh"],
  };
}

export const isSelected = (stream: SingerStream): boolean =>
  topLevel(stream).selected === true || stream.schema.selected === true;

/** The catalog with exactly `names` selected, the way taps read selection. */
export function selectStreams(catalog: SingerCatalog, names: Set<string>): SingerCatalog {
  return {
    streams: catalog.streams.map((stream) => {
      const selected = names.has(stream.stream);
      const metadata = stream.metadata ?? [];
      const top = metadata.find((m) => m.breadcrumb.length === 0);
      const rest = metadata.filter((m) => m !== top);
      return {
        ...stream,
        schema: { ...stream.schema, selected },
        metadata: [{ breadcrumb: [], metadata: { ...top?.metadata, selected } }, ...rest],
      };
    }),
  };
}
