/**
 * Preparing a source, the one way every caller does it (sync, pipelines, the
 * server's live reads, `sluice check|discover`, the test kit): its spec, the
 * options validated against the spec's JSON Schema, the connector's own
 * check, then discover and the streams selected. Each step stops with an
 * error naming the connector and what is wrong before any data moves.
 */
import type { CheckResult, SourceSpec, SourceDriver, StreamDescriptor } from "../drivers/types.js";
import { SluiceError } from "../errors.js";
import { OptionsError, validateOptions } from "./options.js";

export interface PrepareRequest {
  /** Names the connector in messages. */
  connector: string;
  driver: SourceDriver;
  /** The options, or how to make them from the spec (e.g. merged with a Qlik connection). */
  options: string | ((spec: SourceSpec) => string);
  /** Streams to read; default: all discovered. */
  streams?: string[];
}

export interface CheckedSource {
  spec: SourceSpec;
  options: string;
  /** What the connector's own check said. */
  check: CheckResult;
}

export interface PreparedSource {
  spec: SourceSpec;
  options: string;
  /** The selected streams, as discovered. */
  streams: StreamDescriptor[];
}

export class StreamSelectionError extends SluiceError {
  constructor(connector: string, unknown: string[], available: string[]) {
    super(
      "STREAM_UNKNOWN",
      `connector "${connector}" has no stream ${unknown.map((s) => `"${s}"`).join(", ")}; it offers: ${available.join(", ") || "(none)"}`,
    );
  }
}

/** Spec, and the options against its schema (problems throw OptionsError); then the connector's own check. */
export async function checkSource(request: Omit<PrepareRequest, "streams">): Promise<CheckedSource> {
  const { spec, options } = await validSpecOptions(request);
  return { spec, options, check: await request.driver.check(options) };
}

/**
 * Spec and options as checkSource, the check (a failed one throws OptionsError), then discover and select
 * the streams to read. A driver whose calls run in processes of their own discovers while it checks; a
 * failed check is still the error reported, once the discover beside it has ended.
 */
export async function prepareSource(request: PrepareRequest): Promise<PreparedSource> {
  const { connector, driver } = request;
  const { spec, options } = await validSpecOptions(request);
  const [checked, discoveredBeside] = driver.concurrentCalls
    ? await Promise.all([settle(driver.check(options)), settle(driver.discover(options))])
    : [await settle(driver.check(options)), undefined];
  refuseFailedCheck(connector, unwrap(checked));
  const discovered = discoveredBeside ? unwrap(discoveredBeside) : await driver.discover(options);
  return { spec, options, streams: selectStreams(connector, discovered, request.streams) };
}

async function validSpecOptions(request: Omit<PrepareRequest, "streams">): Promise<Omit<CheckedSource, "check">> {
  const spec = await request.driver.spec();
  const options = typeof request.options === "function" ? request.options(spec) : request.options;
  validateOptions(request.connector, spec.optionsSchema, options);
  return { spec, options };
}

type Settled<T> = { value: T } | { error: unknown };

/** A promise that never rejects: check and discover both end before either's failure is told. */
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

function unwrap<T>(settled: Settled<T>): T {
  if ("error" in settled) throw settled.error;
  return settled.value;
}

function refuseFailedCheck(connector: string, check: CheckResult): void {
  if (check.ok) return;
  throw new OptionsError(
    connector,
    check.errors.length ? check.errors : ["the connector's check failed without saying why"],
  );
}

export function selectStreams(
  connector: string,
  discovered: StreamDescriptor[],
  wanted?: string[],
): StreamDescriptor[] {
  if (!wanted?.length) return discovered;
  const unknown = wanted.filter((name) => !discovered.some((s) => s.name === name));
  if (unknown.length)
    throw new StreamSelectionError(
      connector,
      unknown,
      discovered.map((s) => s.name),
    );
  return discovered.filter((s) => wanted.includes(s.name));
}
