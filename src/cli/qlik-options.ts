/**
 * `sluice sync --qlik <host:port> --statement …`: a Qlik GetData connector
 * as the source of a sync, in place of --command.
 */
import { type Command, Option } from "commander";
import { QlikDriver } from "../engine/index.js";
import type { SourceDriver } from "../engine/index.js";
import { UsageError } from "../errors.js";
import type { Revision } from "../protocol/qlik/chunks.js";

export interface QlikFlags {
  qlik?: string;
  statement?: string;
  connectionString?: string;
  user?: string;
  password?: string;
  qlikRevision: string;
  firstRows?: string;
  name?: string;
  command?: string;
  connector?: string;
}

const REVISION_CHOICES: Record<string, Revision | "auto"> = { auto: "auto", connect: "qlik.connect", a: "qlik" };

export function addQlikOptions(command: Command): Command {
  return command
    .option("--qlik <host:port>", "read from a Qlik GetData connector instead of running --command")
    .option("--statement <text>", "with --qlik: what to load (DataInfo.statement; the connector's language)")
    .option("--connection-string <text>", "with --qlik: ConnectionInfo.connectionString")
    .option("--user <name>", "with --qlik: ConnectionInfo.user")
    .addOption(new Option("--password <secret>", "with --qlik: ConnectionInfo.password").env("SLUICE_QLIK_PASSWORD"))
    .option("--qlik-revision <revision>", "with --qlik: auto (qlik.connect, else A), connect or a", "auto")
    .option("--first-rows <n>", "with --qlik: load only the first n rows (firstRowsOnly)");
}

export function openQlikFromFlags(flags: QlikFlags): { driver: SourceDriver; name: string } {
  if (flags.command || flags.connector)
    throw new UsageError("--qlik reads from a Qlik connector: give no --command or installed connector with it");
  if (!flags.qlik || !/^[^\s:]+:\d+$|^\[[^\]]+\]:\d+$/.test(flags.qlik))
    throw new UsageError(`--qlik must be host:port (got "${flags.qlik}")`);
  if (!flags.statement) throw new UsageError("--qlik needs --statement '<what to load>'");
  const revision = REVISION_CHOICES[flags.qlikRevision];
  if (!revision)
    throw new UsageError(
      `--qlik-revision must be one of ${Object.keys(REVISION_CHOICES).join(", ")} (got "${flags.qlikRevision}")`,
    );
  const firstRows = flags.firstRows === undefined ? undefined : Number(flags.firstRows);
  if (firstRows !== undefined && !(Number.isInteger(firstRows) && firstRows >= 0)) {
    throw new UsageError(`--first-rows must be a whole number (got "${flags.firstRows}")`);
  }
  const name = flags.name ?? "qlik";
  const driver = new QlikDriver({
    address: flags.qlik,
    statement: flags.statement,
    connectionString: flags.connectionString,
    user: flags.user,
    password: flags.password,
    revision,
    firstRows,
    name,
  });
  return { driver, name };
}
