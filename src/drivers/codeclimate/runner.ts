/**
 * Runs inside the connector's own process (started by driver.ts): reads the
 * job from stdin, makes `codeclimate-connector-sdk` resolve to Sluice's SDK,
 * loads the connector's `Client`, runs one verb and reports through fd 3.
 * Records are validated here, in the connector's process, so an invalid one
 * throws inside the connector's own `produce()` call, as upstream.
 */
import { text } from "node:stream/consumers";
import { pathToFileURL } from "node:url";
import type { ClientInterface } from "../../sdk/codeclimate/client.js";
import { Logger, LoggerLevel } from "../../sdk/codeclimate/logger.js";
import {
  InvalidRecordError,
  type RecordEnvelope,
  type RecordProducer,
  RecordProducerFacade,
} from "../../sdk/codeclimate/record-producer.js";
import type { State, StateManager } from "../../sdk/codeclimate/state.js";
import { Stream, type StreamRecord } from "../../sdk/codeclimate/stream.js";
import { Batcher } from "../batcher.js";
import { installSdkAliases } from "./aliases.js";
import { send } from "./channel.js";
import type { RunnerJob, RunnerMessage } from "./messages.js";

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** Logs become messages, so Sluice logs them with the connector's name and level. */
class ChannelLogger extends Logger {
  override taggedChild(additionalTags: string[]): Logger {
    return new ChannelLogger(this.io, this.childConfig(additionalTags));
  }

  protected override write(level: LoggerLevel, line: string): void {
    send({ t: "log", level: level.toLowerCase() as Extract<RunnerMessage, { t: "log" }>["level"], line });
  }
}

/** Collects records per type into pages (the drivers' one batcher); a page leaves when full or before a checkpoint. */
class PagingProducer implements RecordProducer {
  private readonly batcher = new Batcher<object>();
  readonly streams: StreamRecord[] = [];

  produce({ record, extractedAt }: RecordEnvelope): void {
    const type = (record as { _type: string })._type;
    if (type === "Stream") this.streams.push(record as StreamRecord);
    const row = extractedAt ? { ...record, _extracted_at: extractedAt.toISOString() } : record;
    const full = this.batcher.add(type, row);
    if (full) send({ t: "records", type, records: full });
  }

  flush(): void {
    for (const [type, records] of this.batcher.drain()) send({ t: "records", type, records });
  }
}

/** What the upstream CLI does with records and state: print them. */
class PrintingProducer implements RecordProducer {
  readonly streams: StreamRecord[] = [];

  constructor(private readonly logger: Logger) {}

  produce({ record }: RecordEnvelope): void {
    if ((record as { _type?: string })._type === "Stream") this.streams.push(record as StreamRecord);
    this.logger.info(`Produced record: ${JSON.stringify(record, null, "  ")}`);
  }

  flush(): void {}
}

function stateManagerFor(
  stream: string,
  job: RunnerJob,
  producer: PagingProducer | PrintingProducer,
  logger: Logger,
): StateManager {
  const saved = job.states[stream];
  // Handed back as the connector set it: a Date, or null when it set no time (upstream's `set` takes anything).
  let state = saved
    ? ({ ...saved, checkpointTime: saved.checkpointTime && new Date(saved.checkpointTime) } as State)
    : null;
  return {
    get: () => state,
    set(next: State) {
      state = next;
      const stored = { ...next, checkpointTime: toStored(next.checkpointTime) };
      if (job.output === "console") return logger.info(`Set state: ${JSON.stringify(next, null, "  ")}`);
      producer.flush();
      send({ t: "state", stream, state: stored });
    },
  };
}

/**
 * A checkpoint time as stored: ISO text, or null when it is not a time.
 * Upstream's `set` takes anything, and connectors do pass `null` (circleci
 * before its first page), so only a real time is converted.
 */
function toStored(time: unknown): string | null {
  const date = time instanceof Date || typeof time === "string" || typeof time === "number" ? new Date(time) : null;
  return date && !Number.isNaN(date.valueOf()) ? date.toISOString() : null;
}

async function loadClientClass(entry: string): Promise<new (...args: unknown[]) => ClientInterface> {
  const module = (await import(pathToFileURL(entry).href)) as { Client?: unknown; default?: { Client?: unknown } };
  const Client = module.Client ?? module.default?.Client;
  if (typeof Client !== "function")
    throw new Error(`${entry} does not export a Client class (exports: ${Object.keys(module).join(", ") || "none"})`);
  return Client as new (
    ...args: unknown[]
  ) => ClientInterface;
}

function cutoffFor(stream: StreamRecord, job: RunnerJob): Date {
  const text = job.earliestDataCutoff ?? job.lastSuccessfulSync[stream.id] ?? job.defaultCutoff;
  const cutoff = new Date(text);
  if (Number.isNaN(cutoff.valueOf())) throw new Error(`"${text}" cannot be parsed as a timestamp`);
  return cutoff;
}

async function run(job: RunnerJob): Promise<void> {
  const level = job.verbose ? LoggerLevel.DEBUG : LoggerLevel.INFO;
  const logger =
    job.output === "console"
      ? new Logger(process.stdout, { level })
      : new ChannelLogger({ write: () => {} }, { level });
  const producer = job.output === "console" ? new PrintingProducer(logger) : new PagingProducer();
  const Client = await loadClientClass(job.entry);
  const config = new Map(Object.entries(job.config));
  const clientFor = (stream: string) =>
    new Client(
      config,
      new RecordProducerFacade(producer),
      stateManagerFor(stream, job, producer, logger),
      logger.taggedChild([job.slug]),
    );

  try {
    switch (job.verb) {
      case "verify-configuration": {
        if (job.output === "console") console.log("Verifying configuration...");
        const result = await clientFor("").verifyConfiguration();
        if (job.output === "console") console.log(`Result: ${JSON.stringify(result, null, 2)}`);
        send({ t: "verified", result });
        return;
      }
      case "discover-streams":
        await clientFor("").discoverStreams();
        if (job.output === "console") logger.info("Done discovering streams.");
        return;
      case "sync-stream":
        return await syncStream(new Stream(job.stream ?? {}));
      case "sync": {
        await clientFor("").discoverStreams();
        producer.flush();
        const streams = producer.streams.filter((stream) => stream.subscribed !== false);
        if (!streams.length)
          throw new Error("discoverStreams produced no Stream record: a connector must produce at least one");
        for (const record of streams) await syncStream(new Stream(record));
      }
    }
  } finally {
    producer.flush();
  }

  async function syncStream(stream: Stream): Promise<void> {
    await clientFor(stream.id).syncStream(stream, cutoffFor(stream.record, job));
    producer.flush();
    if (job.output === "console") logger.info(`Done syncing stream ${JSON.stringify(stream)}.`);
    send({ t: "stream-done", stream: stream.id });
  }
}

function fail(error: unknown): never {
  const failure =
    error instanceof Error
      ? { name: error.name, message: error.message, stack: error.stack }
      : { name: "Error", message: String(error) };
  const record =
    error instanceof InvalidRecordError ? (error.record as { _type?: unknown; id?: unknown } | undefined) : undefined;
  send({ t: "failed", ...failure, record: record && { type: record._type, id: record.id } });
  process.exit(1);
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
installSdkAliases({
  index: new URL(`../../sdk/codeclimate/index${extension}`, import.meta.url).href,
  testHelpers: new URL(`../../sdk/codeclimate/test-helpers${extension}`, import.meta.url).href,
});
const job = JSON.parse(await text(process.stdin)) as RunnerJob;
await run(job).catch(fail);
process.exit(0);
