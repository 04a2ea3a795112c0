/**
 * The conformance checks for every connector Sluice reads through a source
 * driver (native, c1-core, Airbyte, Singer, Code Climate). Each run of the
 * connector is a fresh instance, as Sluice starts one per sync: the first
 * reads everything (spec, check, discover, records, pages), the second reads
 * again from the state the first saved, the third is stopped mid-read.
 */
import type { PageSink, RecordPage, SourceDriver, StreamDescriptor, SyncMode } from "../drivers/types.js";
import { OptionsError, prepareSource, validateOptions } from "../engine/index.js";
import { messageOf, SluiceError } from "../errors.js";
import type { Logger } from "../logging.js";
import { within } from "../process/index.js";
import { judgeStop, onTermination, ProcessWatch } from "./processes.js";
import { type CheckOutcome, failed, passed, skipped } from "./report.js";
import { declares, RecordJudge, schemaProblems } from "./schemas.js";
import { type Check, Probe } from "./suite.js";

export type SourceProtocol = "sluice" | "c1" | "airbyte" | "singer" | "codeclimate";

export interface SourceUnderTest {
  name: string;
  protocol: SourceProtocol;
  options: string;
  /** Options the connector must refuse; derived from its option schema when not given. */
  invalidOptions?: string;
  /** Starts a fresh instance: "discover" is what lists the streams (Code Climate's discoverStreams), "read" the rest. */
  open(logger: Logger, purpose: "discover" | "read"): Promise<SourceDriver>;
}

export interface SourceLimits {
  /** The first call (handshake and Spec, or the first command) must answer within this. */
  startMs: number;
  /** Records read at most per run. */
  maxRecords: number;
  /** A page above this many records is not a sane page. */
  maxPageRecords: number;
}

/** What protocols cannot be asked for, and why: those checks are skipped with the reason. */
const NOT_IN_PROTOCOL: Record<SourceProtocol, Partial<Record<string, string>>> = {
  sluice: {},
  c1: {
    "option-schema": "c1-core connectors publish no option schema",
    "invalid-config": "c1-core has no Check call: options are seen only by Sync",
    discover: "c1-core's one stream is fixed by the contract (DataObjects)",
    incremental: "c1-core has no state: every Sync sends everything",
  },
  airbyte: { "page-sizes": "Sluice pages Airbyte records itself" },
  singer: {
    "option-schema": "Singer taps publish no option schema",
    "invalid-config": "Singer has no check command",
    "page-sizes": "Sluice pages Singer records itself",
  },
  codeclimate: {
    "option-schema": "Code Climate connectors publish no option schema",
    "page-sizes": "Sluice's runner pages Code Climate records itself",
  },
};

interface Reading {
  records: number;
  pages: number[];
  /** The last checkpoint (JSON text), "" if none. */
  state: string;
  /** Each stream's records as their keys (or whole records without a key), for the re-run. */
  keys: Map<string, Set<string>>;
  judges: Map<string, RecordJudge>;
  capped: boolean;
}

/** A check that depends on an earlier step that did not complete. */
class NotChecked extends SluiceError {
  constructor(step: string, cause: unknown) {
    super("INTERNAL", `not checked: ${step} did not complete${cause === undefined ? "" : ` (${messageOf(cause)})`}`);
  }
}

/** Thrown by the test's own sink to end a read at --max-records. */
class ReadCapReached extends SluiceError {
  constructor() {
    super("SYNC_CANCELLED", "read enough records for the test (--max-records)");
  }
}

/** go-plugin connectors are asked to stop (Shutdown) before any signal; the others start at SIGTERM. */
const ASKED_TO_STOP: ReadonlySet<SourceProtocol> = new Set(["sluice", "c1"]);

/** How long the stop check waits for a first page before stopping a connector that sent none. */
const FIRST_PAGE_WAIT_MS = 10_000;

/** Everything the checks learn from the first run, shared by the checks that judge it. */
class FirstRun {
  readonly probe: Probe;
  spec?: Awaited<ReturnType<SourceDriver["spec"]>>;
  streams?: StreamDescriptor[];
  reading?: Reading;
  error?: unknown;
  startMs = 0;

  constructor(logger: Logger) {
    this.probe = new Probe(logger);
  }
}

export function sourceChecks(subject: SourceUnderTest, limits: SourceLimits, logger: Logger): Check[] {
  const first = new FirstRun(logger);
  let driver: SourceDriver | undefined;
  const notInProtocol = NOT_IN_PROTOCOL[subject.protocol];
  const applies = (id: string, run: () => Promise<CheckOutcome>) => () =>
    notInProtocol[id] ? Promise.resolve(skipped(notInProtocol[id]!)) : run();
  const needs = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new NotChecked(what, first.error);
    return value;
  };

  return [
    {
      id: "start",
      title: "starts and answers within the time limit",
      run: async () => {
        const started = performance.now();
        try {
          driver = await subject.open(first.probe.logger, "read");
          first.spec = await driver.spec();
          // Where Spec is known without the connector running, its first real answer is what takes time.
          if (subject.protocol === "singer") first.streams = await driver.discover(subject.options);
          if (subject.protocol === "codeclimate") await driver.check(subject.options);
        } catch (error) {
          first.error = error;
          return failed(messageOf(error));
        }
        first.startMs = performance.now() - started;
        return first.startMs <= limits.startMs
          ? passed(`answered in ${(first.startMs / 1000).toFixed(2)} s (limit ${limits.startMs / 1000} s)`)
          : failed(
              `took ${(first.startMs / 1000).toFixed(2)} s to answer, over the limit of ${limits.startMs / 1000} s`,
            );
      },
    },
    {
      id: "option-schema",
      title: "its option schema is valid JSON Schema and the given options pass it",
      run: applies("option-schema", async () => {
        const schema = needs(first.spec, "starting").optionsSchema;
        if (!schema) return skipped("the connector publishes no option schema");
        const problems = schemaProblems(schema);
        if (problems.length) return failed("the option schema is not valid JSON Schema", problems);
        try {
          validateOptions(subject.name, schema, subject.options);
        } catch (error) {
          if (error instanceof OptionsError) return failed("the given options break the schema", error.problems);
          throw error;
        }
        return passed("valid, and the given options pass it");
      }),
    },
    {
      id: "invalid-config",
      title: "a deliberately invalid config is refused by Check with a message",
      run: applies("invalid-config", async () => {
        // Code Climate connectors publish no schema, but most need something (a token): an empty configuration.
        const guessed = subject.invalidOptions === undefined && subject.protocol === "codeclimate";
        const invalid =
          subject.invalidOptions !== undefined
            ? { options: subject.invalidOptions, what: "the --invalid-options" }
            : guessed
              ? { options: "{}", what: "an empty configuration" }
              : invalidFromSchema(first.spec?.optionsSchema, subject.options);
        if (invalid === undefined)
          return skipped("no option schema to break: give --invalid-options with a config the connector must refuse");
        let result: Awaited<ReturnType<SourceDriver["check"]>>;
        try {
          result = await needs(driver, "starting").check(invalid.options);
        } catch (error) {
          // Refusing by an error that says why (INVALID_ARGUMENT, a config error) is a refusal too.
          return messageOf(error).trim()
            ? passed(`refused ${invalid.what} with an error: ${firstLine(messageOf(error))}`)
            : failed(`failed on ${invalid.what} without a message`);
        }
        if (result.ok && guessed)
          return skipped("it accepts an empty configuration: give --invalid-options with one it must refuse");
        if (result.ok) return failed(`Check accepted ${invalid.what}: ${invalid.options}`);
        if (!result.errors.some((error) => error.trim()))
          return failed(`Check refused ${invalid.what} but said nothing about why`);
        return passed(`refused ${invalid.what}: ${firstLine(result.errors[0])}`);
      }),
    },
    {
      id: "discover",
      title: "Discover returns streams whose schemas are valid and whose keys and cursors exist",
      run: applies("discover", async () => {
        if (subject.protocol === "codeclimate") return discoverStreamRecords(subject, first.probe.logger, limits);
        first.streams = await needs(driver, "starting").discover(subject.options);
        if (!first.streams.length) return failed("Discover returned no stream");
        const problems = first.streams.flatMap(streamProblems);
        return problems.length
          ? failed(`${problems.length} problem(s) in ${first.streams.length} stream(s)`, problems)
          : passed(`${first.streams.length} stream(s): ${first.streams.map((s) => s.name).join(", ")}`);
      }),
    },
    {
      id: "records-match-schemas",
      title: "every record read matches its stream's schema",
      run: async () => {
        const streams = first.streams ?? (await needs(driver, "starting").discover(subject.options));
        first.streams = streams;
        first.reading = await readAll(needs(driver, "starting"), subject.options, streams, "", limits.maxRecords, {
          judge: subject.protocol !== "codeclimate",
          resendable: RESENDABLE[subject.protocol],
        });
        if (subject.protocol === "codeclimate")
          return passed(
            `${first.reading.records} record(s), each validated against its type's schema by the SDK as it was produced`,
          );
        const judges = [...first.reading.judges.values()];
        const invalid = judges.reduce((sum, judge) => sum + judge.invalid, 0);
        const judged = judges.reduce((sum, judge) => sum + judge.seen, 0);
        const unjudged = streams
          .filter((stream) => schemaProblems(stream.jsonSchema).length)
          .map((stream) => `stream "${stream.name}": its schema is not valid, so its records were not judged`);
        const read = `${first.reading.records} record(s)${first.reading.capped ? ` (stopped at --max-records ${limits.maxRecords})` : ""}`;
        if (invalid)
          return failed(`${invalid} of ${read} break their stream's schema`, [
            ...judges.flatMap((judge) => judge.problems),
            ...unjudged,
          ]);
        if (!first.reading.records) return passed("read no record (nothing to judge)");
        if (!judged) return skipped(`read ${read}, but no stream has a valid schema to judge them by`);
        return passed(`${read}, all valid`, unjudged.length ? unjudged : undefined);
      },
    },
    {
      id: "page-sizes",
      title: "pages have sane sizes",
      run: applies("page-sizes", async () => {
        const pages = needs(first.reading, "reading").pages;
        if (!pages.length) return passed("no page of records");
        const empty = pages.filter((size) => size === 0).length;
        const largest = Math.max(...pages);
        const smallest = Math.min(...pages);
        const total = pages.reduce((sum, size) => sum + size, 0);
        if (empty) return failed(`${empty} of ${pages.length} page(s) held no record (send a checkpoint instead)`);
        if (largest > limits.maxPageRecords)
          return failed(`a page of ${largest} records, over ${limits.maxPageRecords}: send smaller pages`);
        if (pages.length > 20 && total / pages.length < 2)
          return failed(
            `${pages.length} pages for ${total} records: batch records into pages rather than one at a time`,
          );
        return passed(`${pages.length} page(s) of ${smallest}–${largest} records`);
      }),
    },
    {
      id: "incremental",
      title: "an incremental re-run from the saved state resends nothing already sent",
      run: applies("incremental", async () => {
        const reading = needs(first.reading, "reading");
        const streams = needs(first.streams, "discovering");
        const incremental = streams.filter((stream) => stream.syncModes.includes("incremental"));
        if (!incremental.length) return skipped("no stream supports incremental reads");
        if (reading.capped)
          return skipped(`the first run stopped at --max-records ${limits.maxRecords}; raise it to read everything`);
        if (!reading.state) return failed("the first run saved no state to resume from");
        const again = await subject.open(first.probe.logger, "read");
        try {
          // Prepared as a sync prepares a source (spec, options, check, discover), then read from the saved state.
          const prepared = await prepareSource({
            connector: subject.name,
            driver: again,
            options: subject.options,
            streams: incremental.map((stream) => stream.name),
          });
          const second = await readAll(again, prepared.options, prepared.streams, reading.state, limits.maxRecords, {
            judge: false,
            resendable: RESENDABLE[subject.protocol],
          });
          const resent = incremental.flatMap((stream) => {
            const before = reading.keys.get(stream.name) ?? new Set();
            const repeats = [...(second.keys.get(stream.name) ?? [])].filter((key) => before.has(key));
            return repeats.length ? [`stream "${stream.name}": ${repeats.length} resent, e.g. ${repeats[0]}`] : [];
          });
          return resent.length
            ? failed("records of the first run came again", resent)
            : passed(`the re-run read ${second.records} record(s), none of them already sent`);
        } finally {
          await again.close();
        }
      }),
    },
    {
      id: "graceful-stop",
      title: "a graceful stop is honoured within the grace period and leaves no process behind",
      run: async () => {
        await driver?.close();
        driver = undefined;
        const watch = new ProcessWatch();
        const stopping = await subject.open(first.probe.logger, "read");
        let pageSeen = () => {};
        const firstPage = new Promise<boolean>((resolve) => (pageSeen = () => resolve(true)));
        const reading = readAll(stopping, subject.options, first.streams ?? [], "", limits.maxRecords, {
          watch,
          onPage: pageSeen,
          judge: false,
        });
        // Stop once a page arrived; a read that ends first is stopped after it, one that sends nothing after a while.
        const underway = await within(
          Promise.race([
            firstPage,
            reading.then(
              () => false,
              () => false,
            ),
          ]),
          FIRST_PAGE_WAIT_MS,
          true,
        );
        watch.snapshot();
        const when = underway ? "mid-read" : "after it finished reading";
        const asked = ASKED_TO_STOP.has(subject.protocol);
        const verdict = await judgeStop(watch, stopping.close(), asked);
        await reading.catch(() => {});
        if (verdict.goneMs === undefined)
          return failed(
            `still running ${(verdict.judgedAtMs / 1000).toFixed(1)} s after the stop began (${verdict.steps}): only SIGKILL stopped it`,
            verdict.left.length ? [`left running: ${verdict.left.join(", ")}`] : undefined,
          );
        if (verdict.left.length) return failed(`stopped ${when}, but left processes behind`, verdict.left);
        const how = onTermination(verdict, asked) ? " (on SIGTERM, not on the request)" : "";
        return passed(`stopped ${when} in ${(verdict.goneMs / 1000).toFixed(2)} s${how}; no process left`);
      },
    },
    {
      id: "stdout-clean",
      title: "nothing but the handshake or protocol messages on stdout",
      run: async () => {
        const stray = first.probe.stdoutLines;
        return stray.length
          ? failed(
              `${stray.length} stray line(s) on stdout (log to stderr instead)`,
              stray.slice(0, 5).map((line) => JSON.stringify(line)),
            )
          : passed("stdout carried only the protocol");
      },
    },
  ];
}

const firstLine = (text: string): string => text.trim().split("\n")[0];

function streamProblems(stream: StreamDescriptor): string[] {
  const problems = schemaProblems(stream.jsonSchema).map((problem) => `stream "${stream.name}": schema ${problem}`);
  if (problems.length) return problems;
  for (const key of stream.primaryKey)
    if (!declares(stream.jsonSchema, key))
      problems.push(`stream "${stream.name}": primary key "${key}" is not a property of its schema`);
  if (stream.cursorField && !declares(stream.jsonSchema, stream.cursorField))
    problems.push(`stream "${stream.name}": cursor "${stream.cursorField}" is not a property of its schema`);
  return problems;
}

/**
 * Options that break the connector's own schema: the given ones with one
 * property of a wrong type (or a required one missing), so its Check has
 * something definite to refuse.
 */
export function invalidFromSchema(
  schema: object | undefined,
  given: string,
): { options: string; what: string } | undefined {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  if (!properties) return undefined;
  let options: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(given || "{}");
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) options = parsed;
  } catch {
    // unparsable given options: start from none
  }
  const wrong: Record<string, unknown> = {
    integer: "not-a-number",
    number: "not-a-number",
    string: 12345,
    boolean: "yes",
    array: "x",
    object: 1,
  };
  for (const [name, property] of Object.entries(properties)) {
    const type = Array.isArray(property.type) ? property.type[0] : property.type;
    if (typeof type === "string" && type in wrong)
      return {
        options: JSON.stringify({ ...options, [name]: wrong[type] }),
        what: `option "${name}" of the wrong type (${JSON.stringify(wrong[type])} where the schema says ${type})`,
      };
  }
  const required = (schema as { required?: string[] }).required?.[0];
  if (required) {
    const { [required]: _dropped, ...rest } = options;
    return { options: JSON.stringify(rest), what: `options without the required "${required}"` };
  }
  return undefined;
}

/** Reads every selected stream (incremental where offered), judging records and keeping their keys. */
async function readAll(
  driver: SourceDriver,
  options: string,
  streams: StreamDescriptor[],
  state: string,
  maxRecords: number,
  observe: {
    watch?: ProcessWatch;
    onPage?: () => void;
    /** Judge records against their stream's schema (default: yes). */
    judge?: boolean;
    /** Which records a re-run must not send again (default: all). */
    resendable?: (row: Record<string, unknown>) => boolean;
  } = {},
): Promise<Reading> {
  const byName = new Map(streams.map((stream) => [stream.name, stream]));
  const reading: Reading = { records: 0, pages: [], state: "", keys: new Map(), judges: new Map(), capped: false };
  const mode = (stream: StreamDescriptor): SyncMode =>
    stream.syncModes.includes("incremental") ? "incremental" : "full_refresh";
  const onPage = async (page: RecordPage): Promise<void> => {
    observe.watch?.snapshot();
    if (page.checkpoint !== undefined) reading.state = page.checkpoint;
    observe.onPage?.();
    reading.pages.push(page.rows.length);
    const stream = byName.get(page.stream);
    let judge = reading.judges.get(page.stream);
    if (!judge && stream && observe.judge !== false && !schemaProblems(stream.jsonSchema).length)
      reading.judges.set(page.stream, (judge = new RecordJudge(page.stream, stream.jsonSchema)));
    let keys = reading.keys.get(page.stream);
    if (!keys) reading.keys.set(page.stream, (keys = new Set()));
    for (const row of page.rows) {
      judge?.judge(row);
      if (observe.resendable?.(row) ?? true) keys.add(keyOf(row, stream?.primaryKey ?? []));
    }
    reading.records += page.rows.length;
    if (reading.records >= maxRecords) {
      reading.capped = true;
      throw new ReadCapReached();
    }
  };
  const sink: PageSink = {
    page: onPage,
    checkpoint: async (saved) => {
      observe.watch?.snapshot();
      reading.state = saved;
    },
  };
  try {
    await driver.read({ options, state, streams: streams.map((s) => ({ name: s.name, syncMode: mode(s) })) }, sink);
  } catch (error) {
    if (!(error instanceof ReadCapReached)) throw error;
  }
  return reading;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * Which records a re-run must not send again. Code Climate connectors
 * publish again, by design, what the data belongs to (the Stream records of
 * discovery, the Repository a stream is): only records with a time of their
 * own (createdAt, authoredAt, …) are data a sync since the cutoff must not
 * resend.
 */
const RESENDABLE: Record<SourceProtocol, ((row: Record<string, unknown>) => boolean) | undefined> = {
  sluice: undefined,
  c1: undefined,
  airbyte: undefined,
  singer: undefined,
  codeclimate: (row) => Object.values(row).some((value) => typeof value === "string" && ISO_TIME.test(value)),
};

/** Code Climate's discovery: discoverStreams must produce at least one Stream record (the SDK validates each). */
async function discoverStreamRecords(
  subject: SourceUnderTest,
  logger: Logger,
  limits: SourceLimits,
): Promise<CheckOutcome> {
  const lister = await subject.open(logger, "discover");
  try {
    const streams = await lister.discover(subject.options);
    const reading = await readAll(lister, subject.options, streams, "", limits.maxRecords, { judge: false });
    const found = reading.keys.get("stream")?.size ?? 0;
    return found
      ? passed(`discoverStreams produced ${found} Stream record(s), each valid`)
      : failed("discoverStreams produced no Stream record: a connector must produce at least one");
  } finally {
    await lister.close();
  }
}

function keyOf(row: Record<string, unknown>, primaryKey: string[]): string {
  return JSON.stringify(primaryKey.length ? primaryKey.map((field) => row[field]) : row);
}
