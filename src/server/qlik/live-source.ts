/**
 * A live read of a go-plugin connector for one GetData call: the connector
 * is started, its options (with the Qlik connection merged in) validated and
 * checked, one stream read in full-refresh mode and forwarded page by page.
 * Nothing is stored. The header's fields come from the stream's JSON Schema
 * (or, when it has no properties, from the first page's records, untyped).
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
  /** How to start an installed connector, for {"connector": name}. */
  resolveConnector?(name: string): { command: string; cwd?: string };
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
): Promise<void> {
  const { command, cwd } = launchOf(statement, context);
  const name = statement.connector ?? "qlik-source";
  const driver = await openConnector({
    name,
    command: { shell: command },
    cwd,
    protocol: protocolOf(statement),
    logger: context.logger.child({ connector: name }),
    startTimeoutMs: context.startTimeoutMs,
  });
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
  } finally {
    await driver.close();
  }
}

function launchOf(statement: SourceStatement, context: LiveSourceContext): { command: string; cwd?: string } {
  if (statement.command !== undefined) return { command: statement.command };
  if (!context.resolveConnector) {
    throw new StatementError(
      `installed connectors ("connector": "${statement.connector}") are not available here; give the connector's shell command as "command"`,
    );
  }
  return context.resolveConnector(statement.connector!);
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
