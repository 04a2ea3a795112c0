/**
 * The conformance checks for Conduit connectors (standalone, over go-plugin):
 * the specification and configs, a source's records, acks and resume from a
 * position, a destination's per-record acks, and a graceful stop. Sides are
 * tested as the specification declares them: the source when it has source
 * parameters (or none at all), the destination when it has destination ones.
 */
import {
  checkConfig,
  type ConduitConfig,
  type ConduitConnectorHandle,
  type ConnectorSide,
  type OpenCdcRecord,
  type SourceEndpoint,
  type SourceStream,
  type Specification,
} from "../drivers/conduit/index.js";
import { Operation } from "../drivers/conduit/opencdc.js";
import { messageOf } from "../errors.js";
import type { Logger } from "../logging.js";
import { Parameter_Type, Validation_Type } from "../protocol/gen/config/v1/parameter.js";
import { judgeStop, ProcessWatch } from "./processes.js";
import { type CheckOutcome, failed, passed, skipped } from "./report.js";
import { type Check, Probe, within } from "./suite.js";

export interface ConduitUnderTest {
  name: string;
  sourceConfig: ConduitConfig;
  destinationConfig: ConduitConfig;
  open(logger: Logger): Promise<ConduitConnectorHandle>;
}

export interface ConduitLimits {
  startMs: number;
  /** Records read from a source at most (Conduit sources never end by themselves). */
  maxRecords: number;
  /** A source that sends nothing for this long has sent what it has. */
  idleMs: number;
  maxBatchRecords: number;
}

const OPERATIONS = new Set([
  Operation.OPERATION_CREATE,
  Operation.OPERATION_UPDATE,
  Operation.OPERATION_DELETE,
  Operation.OPERATION_SNAPSHOT,
]);
/** Records the destination check sends. */
const DESTINATION_RECORDS = 10;
/** Stop, the drain to the last position and Teardown get this long. */
const STOP_LIMIT_MS = 6_000;

class Session {
  readonly probe: Probe;
  handle?: ConduitConnectorHandle;
  spec?: Specification;
  /** Records read by the records check, in order. */
  records: OpenCdcRecord[] = [];
  /** How the source's stream failed while its batches were acked in order, if it did. */
  ackFailure?: string;

  constructor(logger: Logger) {
    this.probe = new Probe(logger);
  }

  sides(): ConnectorSide[] {
    const spec = this.needSpec();
    const source = Object.keys(spec.sourceParams).length > 0;
    const destination = Object.keys(spec.destinationParams).length > 0;
    return [
      ...(source || !destination ? (["source"] as const) : []),
      ...(destination ? (["destination"] as const) : []),
    ];
  }

  needSpec(): Specification {
    if (!this.spec) throw new Error("not checked: the connector did not start");
    return this.spec;
  }
}

export function conduitChecks(subject: ConduitUnderTest, limits: ConduitLimits, logger: Logger): Check[] {
  const session = new Session(logger);
  const configFor = (side: ConnectorSide) => (side === "source" ? subject.sourceConfig : subject.destinationConfig);
  const sourceOnly = (run: () => Promise<CheckOutcome>) => () =>
    session.sides().includes("source") ? run() : Promise.resolve(skipped("the connector declares no source"));

  return [
    {
      id: "start",
      title: "starts, handshakes and answers Specify within the time limit",
      run: async () => {
        const started = performance.now();
        session.handle = await subject.open(session.probe.logger);
        session.spec = await session.handle.specify();
        const took = performance.now() - started;
        return took <= limits.startMs
          ? passed(`${session.spec.name} ${session.spec.version} answered in ${(took / 1000).toFixed(2)} s`)
          : failed(`took ${(took / 1000).toFixed(2)} s, over the limit of ${limits.startMs / 1000} s`);
      },
    },
    {
      id: "option-schema",
      title: "its parameters are well-formed and the given configs pass them",
      run: async () => {
        const spec = session.needSpec();
        const problems = session
          .sides()
          .flatMap((side) => [
            ...parameterProblems(spec, side),
            ...checkConfig(spec, side, configFor(side)).problems.map((problem) => `${side} config: ${problem}`),
          ]);
        return problems.length
          ? failed(`${problems.length} problem(s)`, problems)
          : passed(`${session.sides().join(" and ")} parameters well-formed; the given configs pass them`);
      },
    },
    {
      id: "invalid-config",
      title: "a deliberately invalid config is refused by Configure with a message",
      run: async () => {
        const spec = session.needSpec();
        const outcomes: string[] = [];
        for (const side of session.sides()) {
          const invalid = invalidConfig(spec, side, configFor(side));
          if (!invalid) continue;
          // A refused Configure may leave the connector in an error state: try it on an instance of its own.
          const fresh = await subject.open(session.probe.logger);
          try {
            await (side === "source" ? fresh.source() : fresh.destination()).configure(invalid.config);
          } catch (error) {
            outcomes.push(`${side}: refused ${invalid.what}: ${messageOf(error).split("\n")[0]}`);
            continue;
          } finally {
            await fresh.close();
          }
          return failed(`the ${side} accepted ${invalid.what}: ${JSON.stringify(invalid.config)}`);
        }
        return outcomes.length ? passed(outcomes.join("; ")) : skipped("no parameter whose value can be made invalid");
      },
    },
    {
      id: "records-well-formed",
      title: "a source's records carry unique positions, known operations and payloads",
      run: sourceOnly(async () => {
        const opened = await openSource(session.handle!, subject.sourceConfig, Buffer.alloc(0));
        const read = await readFor(opened.stream, limits);
        await stopSource(opened.source, opened.stream, read.records.at(-1)?.position);
        session.records = read.records;
        session.ackFailure = read.failure;
        const problems = recordProblems(read.records);
        if (problems.length) return failed(`${problems.length} malformed record(s)`, problems.slice(0, 5));
        const largest = Math.max(0, ...read.batches);
        if (largest > limits.maxBatchRecords)
          return failed(`a batch of ${largest} records, over ${limits.maxBatchRecords}: send smaller batches`);
        return read.records.length
          ? passed(`${read.records.length} record(s) in ${read.batches.length} batch(es), all well-formed`)
          : failed(`the source sent no record within ${limits.idleMs / 1000} s`);
      }),
    },
    {
      id: "source-acks-resume",
      title: "a source takes acks in order and resumes after an acked position",
      run: sourceOnly(async () => {
        const positions = session.records.map((record) => record.position);
        if (session.ackFailure)
          return failed(`the source's stream failed while its records were acked in order: ${session.ackFailure}`);
        if (positions.length < 2) return skipped("fewer than 2 records to ack and resume between");
        const middle = Math.floor(positions.length / 2) - 1;
        const fresh = await subject.open(session.probe.logger);
        try {
          const opened = await openSource(fresh, subject.sourceConfig, positions[middle]);
          const read = await readFor(opened.stream, { ...limits, maxRecords: 1 });
          await stopSource(opened.source, opened.stream, read.records.at(-1)?.position);
          if (read.failure) return failed(`the source's stream failed after resuming: ${read.failure}`);
          const first = read.records[0];
          if (!first) return failed(`opened at position ${text(positions[middle])}, the source sent nothing`);
          const earlier = session.records.findIndex((record) => record.position.equals(first.position));
          const acked = `acks taken in order; opened after ${text(positions[middle])}`;
          if (earlier < 0 || earlier > middle) return passed(`${acked}, it resumed with ${text(first.position)}`);
          if (samePayload(session.records[earlier], first))
            return failed(
              `opened after position ${text(positions[middle])} (record ${middle + 1}), it resent record ${earlier + 1} (${text(first.position)})`,
            );
          // The same position with other data is new data, not a resend: a generator restarting its count.
          return passed(
            `${acked}, it started again at ${text(first.position)} with new data: it does not resume, and resends nothing`,
          );
        } finally {
          await fresh.close();
        }
      }),
    },
    {
      id: "destination-acks",
      title: "a destination acks every record, in order, errors per record",
      run: async () => {
        if (!session.sides().includes("destination")) return skipped("the connector declares no destination");
        const destination = session.handle!.destination();
        await destination.configure(subject.destinationConfig);
        await destination.open();
        const stream = destination.run();
        const records = sampleRecords(DESTINATION_RECORDS);
        await stream.send(records.slice(0, DESTINATION_RECORDS / 2));
        await stream.send(records.slice(DESTINATION_RECORDS / 2));
        const acks: { position: Buffer; error: string }[] = [];
        try {
          while (acks.length < records.length) {
            const batch = await stream.nextAcks();
            if (!batch) break;
            acks.push(...batch);
          }
        } catch (error) {
          return failed(
            `the destination failed the stream instead of acking each record (${acks.length} acked): ${messageOf(error)}`,
          );
        }
        await destination.stop(records[records.length - 1].position).catch(() => {});
        stream.close();
        await destination.teardown().catch(() => {});
        if (acks.length < records.length) return failed(`${acks.length} ack(s) for ${records.length} records`);
        const misplaced = acks.findIndex((ack, index) => !ack.position.equals(records[index].position));
        if (misplaced >= 0)
          return failed(
            `ack ${misplaced + 1} is for position ${text(acks[misplaced].position)}, expected ${text(records[misplaced].position)}: acks must come in the order records were sent`,
          );
        const errors = acks.filter((ack) => ack.error);
        return passed(
          `${acks.length} acks in order${errors.length ? `, ${errors.length} with a per-record error (e.g. ${errors[0].error})` : ""}`,
        );
      },
    },
    {
      id: "graceful-stop",
      title: "a graceful stop is honoured within the grace period and leaves no process behind",
      run: async () => {
        await session.handle?.close();
        const watch = new ProcessWatch();
        const handle = await subject.open(session.probe.logger);
        watch.snapshot();
        if (session.sides().includes("source")) {
          const opened = await openSource(handle, subject.sourceConfig, Buffer.alloc(0));
          const read = await readFor(opened.stream, { ...limits, maxRecords: 1 });
          watch.snapshot();
          const stopping = performance.now();
          await stopSource(opened.source, opened.stream, read.records.at(-1)?.position);
          const stopMs = performance.now() - stopping;
          if (stopMs >= STOP_LIMIT_MS)
            return failed(
              `Stop, drain and Teardown took ${(stopMs / 1000).toFixed(1)} s (limit ${STOP_LIMIT_MS / 1000} s)`,
            );
        }
        const verdict = await judgeStop(watch, handle.close(), true);
        if (verdict.goneMs === undefined)
          return failed(
            `still running ${(verdict.judgedAtMs / 1000).toFixed(1)} s after Shutdown (${verdict.steps}): only SIGKILL stopped it`,
          );
        return verdict.left.length
          ? failed("stopped, but left processes behind", verdict.left)
          : passed(
              `Stop, drain, Teardown, then exited ${(verdict.goneMs / 1000).toFixed(2)} s after Shutdown; no process left`,
            );
      },
    },
    {
      id: "stdout-clean",
      title: "nothing but the handshake on stdout",
      run: async () => {
        await session.handle?.close();
        const stray = session.probe.stdoutLines;
        return stray.length
          ? failed(`${stray.length} stray line(s) on stdout (log to stderr instead)`, stray.slice(0, 5))
          : passed("stdout carried only the handshake");
      },
    },
  ];
}

const text = (position: Buffer): string => JSON.stringify(position.toString());

const samePayload = (a: OpenCdcRecord, b: OpenCdcRecord): boolean =>
  JSON.stringify(a.payload?.after?.data) === JSON.stringify(b.payload?.after?.data);

function parameterProblems(spec: Specification, side: ConnectorSide): string[] {
  const params = side === "source" ? spec.sourceParams : spec.destinationParams;
  const problems: string[] = [];
  for (const [name, param] of Object.entries(params)) {
    if (!(param.type in Parameter_Type) || param.type === Parameter_Type.TYPE_UNSPECIFIED)
      problems.push(`${side} parameter "${name}" has no known type`);
    for (const rule of param.validations)
      if (rule.type === Validation_Type.TYPE_REGEX)
        try {
          new RegExp(rule.value);
        } catch (error) {
          problems.push(
            `${side} parameter "${name}": regex ${JSON.stringify(rule.value)} does not compile: ${messageOf(error)}`,
          );
        }
  }
  return problems;
}

/** The given config with one value the parameters forbid: a wrong type, else a required one missing. */
function invalidConfig(
  spec: Specification,
  side: ConnectorSide,
  given: ConduitConfig,
): { config: ConduitConfig; what: string } | undefined {
  const params = Object.entries(side === "source" ? spec.sourceParams : spec.destinationParams).filter(
    ([name]) => !name.includes("*") && !name.startsWith("sdk."),
  );
  const wrong: Partial<Record<Parameter_Type, string>> = {
    [Parameter_Type.TYPE_INT]: "not-a-number",
    [Parameter_Type.TYPE_FLOAT]: "not-a-number",
    [Parameter_Type.TYPE_BOOL]: "not-a-bool",
    [Parameter_Type.TYPE_DURATION]: "not-a-duration",
  };
  for (const [name, param] of params) {
    const value = wrong[param.type];
    if (value) return { config: { ...given, [name]: value }, what: `"${name}" = "${value}"` };
  }
  const required = params.find(([, param]) => param.validations.some((v) => v.type === Validation_Type.TYPE_REQUIRED));
  if (!required) return undefined;
  const { [required[0]]: _dropped, ...rest } = given;
  return { config: rest, what: `a config without the required "${required[0]}"` };
}

function recordProblems(records: OpenCdcRecord[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  records.forEach((record, index) => {
    const which = `record ${index + 1}`;
    const position = record.position.toString("base64");
    if (!record.position.length) problems.push(`${which} has an empty position`);
    else if (seen.has(position)) problems.push(`${which} repeats position ${text(record.position)}`);
    seen.add(position);
    if (!OPERATIONS.has(record.operation)) problems.push(`${which} has operation ${record.operation}, not a known one`);
    if (record.operation !== Operation.OPERATION_DELETE && !record.payload?.after?.data)
      problems.push(`${which} (${Operation[record.operation] ?? record.operation}) has no payload`);
  });
  return problems;
}

async function openSource(
  handle: ConduitConnectorHandle,
  config: ConduitConfig,
  position: Buffer,
): Promise<{ source: SourceEndpoint; stream: SourceStream }> {
  const source = handle.source();
  await source.configure(config);
  await source.open(position);
  return { source, stream: source.run() };
}

/** Reads (acking each batch, in order) until `maxRecords`, the stream's end, a failure, or `idleMs` without a record. */
async function readFor(
  stream: SourceStream,
  limits: Pick<ConduitLimits, "maxRecords" | "idleMs">,
): Promise<{ records: OpenCdcRecord[]; batches: number[]; failure?: string }> {
  const records: OpenCdcRecord[] = [];
  const batches: number[] = [];
  try {
    while (records.length < limits.maxRecords) {
      const next = await within(stream.next(), limits.idleMs);
      if (next === "timeout" || next === undefined) break;
      if (next.length) batches.push(next.length);
      records.push(...next);
      stream.ack(next.map((record) => record.position));
    }
  } catch (error) {
    return { records, batches, failure: messageOf(error) };
  }
  return { records, batches };
}

/**
 * Conduit's stop: Stop answers with the last position the source will send;
 * the host reads (and acks) until that record has arrived, then Teardown.
 */
async function stopSource(source: SourceEndpoint, stream: SourceStream, lastReceived?: Buffer): Promise<void> {
  const last = await source.stop();
  let received = lastReceived;
  const deadline = performance.now() + STOP_LIMIT_MS;
  while (last.length && !received?.equals(last)) {
    const next = await within(
      stream.next().catch(() => undefined),
      Math.max(0, deadline - performance.now()),
    );
    if (next === "timeout" || !next) break;
    stream.ack(next.map((record) => record.position));
    received = next.at(-1)?.position ?? received;
  }
  stream.close();
  await source.teardown();
}

function sampleRecords(count: number): OpenCdcRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    position: Buffer.from(`sluice-test-${index + 1}`),
    operation: Operation.OPERATION_CREATE,
    metadata: { "opencdc.collection": "sluice_test" },
    key: { data: { $case: "structuredData", value: { id: index + 1 } } },
    payload: {
      before: undefined,
      after: { data: { $case: "structuredData", value: { id: index + 1, name: `record ${index + 1}` } } },
    },
  }));
}
