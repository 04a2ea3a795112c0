/**
 * Configured catalogs: the streams to read and how. Generated from the
 * source's discovered catalog with sensible defaults (incremental when the
 * source supports it and knows its cursor, deduplicated by the source's
 * primary key, else full refresh overwriting the table), or given by the
 * user (`sluice airbyte catalog` writes the defaults to edit).
 */
import { SluiceError } from "../../errors.js";
import type { StreamDescriptor } from "../types.js";
import type { AirbyteStream, ConfiguredCatalog, ConfiguredStream } from "./protocol.js";

export function defaultConfiguredStream(stream: AirbyteStream): ConfiguredStream {
  const primaryKey = stream.source_defined_primary_key ?? [];
  const cursor = stream.default_cursor_field ?? [];
  const incremental =
    stream.supported_sync_modes?.includes("incremental") === true &&
    (stream.source_defined_cursor === true || cursor.length > 0);
  return {
    stream,
    sync_mode: incremental ? "incremental" : "full_refresh",
    destination_sync_mode: incremental ? (primaryKey.length ? "append_dedup" : "append") : "overwrite",
    ...(cursor.length ? { cursor_field: cursor } : {}),
    ...(primaryKey.length ? { primary_key: primaryKey } : {}),
  };
}

export function defaultCatalog(streams: AirbyteStream[]): ConfiguredCatalog {
  return { streams: streams.map(defaultConfiguredStream) };
}

const SYNC_MODES = ["full_refresh", "incremental"];
const DESTINATION_MODES = ["append", "overwrite", "append_dedup"];

/** Checks a user's configured catalog against what the source discovered; every problem names the stream. */
export function checkCatalog(catalog: unknown, discovered: AirbyteStream[], where: string): ConfiguredCatalog {
  const streams = (catalog as { streams?: unknown })?.streams;
  if (!Array.isArray(streams))
    throw new SluiceError("CATALOG_INVALID", `${where}: a configured catalog is an object with a "streams" array`);
  const problems: string[] = [];
  for (const [index, entry] of (streams as Partial<ConfiguredStream>[]).entries()) {
    const name = entry?.stream?.name;
    const at = `streams[${index}]${name ? ` ("${name}")` : ""}`;
    if (!name) {
      problems.push(`${at}: "stream.name" is required`);
      continue;
    }
    const source = discovered.find((s) => s.name === name);
    if (!source)
      problems.push(`${at}: the source has no stream "${name}" (it has ${discovered.map((s) => s.name).join(", ")})`);
    if (!SYNC_MODES.includes(entry.sync_mode as string))
      problems.push(`${at}: "sync_mode" must be one of ${SYNC_MODES.join(", ")}`);
    else if (source && !(source.supported_sync_modes ?? ["full_refresh"]).includes(entry.sync_mode as "full_refresh"))
      problems.push(`${at}: the source does not support sync_mode "${entry.sync_mode}"`);
    if (!DESTINATION_MODES.includes(entry.destination_sync_mode as string))
      problems.push(`${at}: "destination_sync_mode" must be one of ${DESTINATION_MODES.join(", ")}`);
    if (
      entry.destination_sync_mode === "append_dedup" &&
      !(entry.primary_key ?? source?.source_defined_primary_key ?? []).length
    )
      problems.push(`${at}: append_dedup needs a primary_key`);
  }
  if (problems.length) throw new SluiceError("CATALOG_INVALID", `${where}:\n  ${problems.join("\n  ")}`);
  return catalog as ConfiguredCatalog;
}

/** Airbyte keys are paths; Sluice's tables are keyed by top-level fields. */
function topLevelKey(stream: string, key: string[][]): string[] {
  const nested = key.find((path) => path.length !== 1);
  if (nested)
    throw new SluiceError(
      "CATALOG_INVALID",
      `stream "${stream}": primary key path ${nested.join(".")} is nested; Sluice keys tables by top-level fields`,
    );
  return key.map((path) => path[0]);
}

/** How a configured stream lands in the store. */
export function describe(configured: ConfiguredStream): StreamDescriptor {
  const { stream } = configured;
  const key = configured.primary_key ?? stream.source_defined_primary_key ?? [];
  const keyed =
    configured.destination_sync_mode === "append_dedup" ||
    (configured.destination_sync_mode === "overwrite" && key.length > 0);
  return {
    name: stream.name,
    jsonSchema: stream.json_schema,
    primaryKey: keyed ? topLevelKey(stream.name, key) : [],
    cursorField: configured.cursor_field?.join("."),
    syncModes: [configured.sync_mode],
    replaceOnSuccess: configured.destination_sync_mode === "overwrite",
  };
}
