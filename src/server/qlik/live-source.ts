/**
 * A live read of an installed go-plugin connector for one GetData call, when
 * the server allows live sources and this one among them: the connector is
 * started, its options (with the Qlik connection merged in) validated and
 * checked, one stream read in full-refresh mode and forwarded page by page.
 * Nothing is stored. The header's fields come from the stream's JSON Schema
 * (or, when it has no properties, from the first page's records, untyped).
 * The call's signal (its deadline, the client going away) closes the
 * connector.
 */
import {
  openConnector,
  PROTOCOLS,
  type ProtocolChoice,
  prepareSource,
  type StreamDescriptor,
} from "../../engine/index.js";
import { SluiceError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { toCell } from "../../protocol/cells.js";
import { fieldNames } from "../../protocol/columns.js";
import type { FieldInfo } from "../../protocol/gen/qlik/connect/data_connector.js";
import type { RowSink } from "./chunk-stream.js";
import { type ConnectionInfo, optionsWithConnection } from "./connection-config.js";
import { fieldFromSchema } from "./fields.js";
import { type SourceStatement, StatementError } from "./statement.js";

export interface LiveSourceContext {
  logger: Logger;
  startTimeoutMs?: number;
  /** Which installed connectors a statement may read: none (the default), those named, or all ("installed"). */
  liveSources?: "installed" | string[];
  /** How to start an installed connector, for {"connector": name}; throws when none has that name. */
  resolveConnector?(name: string): { command: string; cwd?: string };
}

export class SourceNotAllowedError extends SluiceError {
  constructor(problem: string) {
    super("QLIK_SOURCE_NOT_ALLOWED", problem);
  }
}

/** Thrown from the page sink to stop a read that has sent enough. */
class Enough extends SluiceError {
  constructor() {
    super("SYNC_CANCELLED", "the client has every row it asked for");
  }
}

export async function readLiveSource(
  statement: SourceStatement,
  connection: ConnectionInfo,
  sink: RowSink,
  context: LiveSourceContext,
  signal: AbortSignal,
): Promise<void> {
  const { command, cwd } = launchOf(statement, context);
  const name = statement.connector;
  signal.throwIfAborted();
  const driver = await openConnector({
    name,
    command: { shell: command },
    cwd,
    protocol: protocolOf(statement),
    logger: context.logger.child({ connector: name }),
    startTimeoutMs: context.startTimeoutMs,
  });
  const stop = () => void driver.close();
  signal.addEventListener("abort", stop, { once: true });
  try {
    const { options, streams } = await prepareSource({
      connector: name,
      driver,
      options: (spec) => optionsWithConnection(statement.options, connection, spec.optionsSchema),
    });
    const stream = pickStream(streams, statement.stream);
    const isKey = (field: string) => stream.primaryKey.includes(field);
    let names: string[] | undefined;
    const sendHeader = (fields: FieldInfo[]) => {
      sink.header({ fieldInfo: fields, tableName: stream.name });
      names = fields.map((f) => f.name);
    };
    const properties = Object.entries(stream.jsonSchema.properties ?? {});
    if (properties.length)
      sendHeader(properties.map(([field, property]) => fieldFromSchema(field, property ?? {}, isKey(field))));
    await driver
      .read(
        { options, state: "", streams: [{ name: stream.name, syncMode: "full_refresh" }] },
        {
          page: async (page) => {
            if (page.stream !== stream.name || page.rows.length === 0) return;
            if (!names) sendHeader(fieldNames(page.rows).map((field) => fieldFromSchema(field, {}, isKey(field))));
            const fields = names!;
            if (!(await sink.rows(page.rows.map((row) => fields.map((n) => toCell(row[n])))))) throw new Enough();
          },
          checkpoint: async () => {}, // nothing is stored: a live read has no state
        },
      )
      .catch((error: unknown) => {
        if (!(error instanceof Enough)) throw error;
      });
    if (!names) sendHeader([]);
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener("abort", stop);
    await driver.close();
  }
}

function launchOf(statement: SourceStatement, context: LiveSourceContext): { command: string; cwd?: string } {
  const { liveSources, resolveConnector } = context;
  if (!liveSources || !resolveConnector)
    throw new SourceNotAllowedError(
      "live sources are off on this server: statements read the store (start it with --live-sources to allow installed connectors)",
    );
  if (liveSources !== "installed" && !liveSources.includes(statement.connector))
    throw new SourceNotAllowedError(
      `no live source named "${statement.connector}" is served here (allowed: ${liveSources.join(", ")})`,
    );
  try {
    return resolveConnector(statement.connector);
  } catch {
    // Which connectors are installed, and where, is the server's business.
    throw new SourceNotAllowedError(`no live source named "${statement.connector}" is served here`);
  }
}

function protocolOf(statement: SourceStatement): ProtocolChoice {
  const protocol = statement.protocol ?? "auto";
  if (!(PROTOCOLS as readonly string[]).includes(protocol))
    throw new StatementError(`"protocol" must be one of ${PROTOCOLS.join(", ")}`);
  return protocol as ProtocolChoice;
}

function pickStream(streams: StreamDescriptor[], wanted: string | undefined): StreamDescriptor {
  const names = streams.map((s) => s.name).join(", ") || "(none)";
  if (wanted === undefined) {
    if (streams.length === 1) return streams[0];
    throw new StatementError(`the connector has several streams (${names}); say which with "stream"`);
  }
  const stream = streams.find((s) => s.name === wanted);
  if (!stream) throw new StatementError(`the connector has no stream "${wanted}"; it offers ${names}`);
  return stream;
}
