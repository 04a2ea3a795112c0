/**
 * `sluice sync --qlik <host:port> --statement …`: a Qlik GetData connector
 * as the source of a sync, in place of --command.
 */
import { type Command, Option } from "commander";
import type { QlikClientTls } from "../engine/index.js";
import type { SourceDriver } from "../engine/index.js";
import { UsageError } from "../errors.js";
import type { Revision } from "../protocol/qlik/chunks.js";
import { readSecretFile } from "./connector-options.js";
import { isLoopbackAddress } from "./listen.js";

export interface QlikFlags {
  qlik?: string;
  statement?: string;
  connectionString?: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  qlikTls?: boolean;
  qlikCa?: string;
  qlikCert?: string;
  qlikKey?: string;
  qlikServerName?: string;
  qlikTokenFile?: string;
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
    .addOption(
      new Option("--connection-string <text>", "with --qlik: ConnectionInfo.connectionString").env(
        "SLUICE_QLIK_CONNECTION_STRING",
      ),
    )
    .option("--user <name>", "with --qlik: ConnectionInfo.user")
    .option(
      "--password <secret>",
      "with --qlik: ConnectionInfo.password (argv is visible to every user: prefer --password-file or env SLUICE_QLIK_PASSWORD)",
    )
    .option("--password-file <file>", "with --qlik: read ConnectionInfo.password from a file")
    .option("--qlik-tls", "with --qlik: connect over TLS, the server checked against the system's CAs")
    .option("--qlik-ca <file>", "with --qlik: TLS, the server's certificate checked against these PEM CAs")
    .option("--qlik-cert <file>", "with --qlik: TLS with this client certificate (PEM), for servers that require one")
    .option("--qlik-key <file>", "with --qlik: the private key (PEM) of --qlik-cert")
    .option("--qlik-server-name <name>", "with --qlik: the name the server's certificate carries, if not the host")
    .option(
      "--qlik-token-file <file>",
      "with --qlik: send the token in this file as a bearer token (env SLUICE_QLIK_TOKEN too), e.g. to sluice serve qlik",
    )
    .option("--qlik-revision <revision>", "with --qlik: auto (qlik.connect, else A), connect or a", "auto")
    .option("--first-rows <n>", "with --qlik: load only the first n rows (firstRowsOnly)");
}

export async function openQlikFromFlags(flags: QlikFlags): Promise<{ driver: SourceDriver; name: string }> {
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
  const tls = clientTls(flags);
  const token = secretFromFlags(flags.qlikTokenFile, "--qlik-token-file", undefined, "SLUICE_QLIK_TOKEN")?.trim();
  if (token && !tls && !isLoopbackAddress(flags.qlik))
    throw new UsageError(
      `a token goes to ${flags.qlik} only over TLS: add --qlik-ca <server CA> (or --qlik-tls), or connect over loopback`,
    );
  const { QlikDriver } = await import("../engine/drivers.js");
  const driver = new QlikDriver({
    address: flags.qlik,
    statement: flags.statement,
    connectionString: flags.connectionString,
    user: flags.user,
    password: secretFromFlags(flags.passwordFile, "--password-file", flags.password, "SLUICE_QLIK_PASSWORD"),
    revision,
    firstRows,
    name,
    tls,
    token,
  });
  return { driver, name };
}

/** A secret from its flag, its file flag, or its environment variable, in that order; both flags at once is an error. */
function secretFromFlags(
  file: string | undefined,
  fileFlag: string,
  value: string | undefined,
  env: string,
): string | undefined {
  if (file !== undefined && value !== undefined)
    throw new UsageError(`give ${fileFlag.replace(/-file$/, "")} or ${fileFlag}, not both`);
  if (file !== undefined) return readSecretFile(file, fileFlag).replace(/\r?\n$/, "");
  return value ?? process.env[env];
}

function clientTls(flags: QlikFlags): QlikClientTls | undefined {
  if ((flags.qlikCert === undefined) !== (flags.qlikKey === undefined))
    throw new UsageError("--qlik-cert and --qlik-key go together (a client certificate and its key)");
  if (!flags.qlikTls && !flags.qlikCa && !flags.qlikCert) return undefined;
  const read = (path: string | undefined, flag: string) =>
    path === undefined ? undefined : Buffer.from(readSecretFile(path, flag));
  return {
    ca: read(flags.qlikCa, "--qlik-ca"),
    cert: read(flags.qlikCert, "--qlik-cert"),
    key: read(flags.qlikKey, "--qlik-key"),
    serverName: flags.qlikServerName,
  };
}
