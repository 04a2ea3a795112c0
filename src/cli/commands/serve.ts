/** `sluice serve qlik`: the store (and live sources) as a Qlik data connector. */
import { Command } from "commander";
import { resolve } from "node:path";
import { isStoreLocation, parseStoreLocation } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import { Registry } from "../../registry/index.js";
import { DEFAULT_CHUNK_BYTES } from "../../server/qlik/chunk-stream.js";
import { type QlikServerTls, startQlikServer } from "../../server/qlik/server.js";
import { readSecretFile } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { addStoreOptions, STORE_HELP, type StoreFlags } from "../store-options.js";
import { untilSignal } from "../signals.js";

interface ServeQlikFlags extends StoreFlags {
  listen: string;
  chunkBytes: string;
  startTimeout: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
}

export function serveCommand(context: () => CliContext): Command {
  const serve = new Command("serve").description("serve Sluice's data to other systems");
  const qlik = addStoreOptions(new Command("qlik"), true)
    .description(
      "serve the store, and live connector reads, as a Qlik data connector (gRPC GetData, revisions qlik and qlik.connect)",
    )
    .option("--listen <host:port>", "address to listen on (port 0: any free port)", "127.0.0.1:50051")
    .option("--chunk-bytes <bytes>", "target encoded size of a DataChunk", String(DEFAULT_CHUNK_BYTES))
    .option("--start-timeout <seconds>", "how long a live source's connector may take to start", "60")
    .option("--tls-cert <file>", "serve TLS with this certificate chain (PEM)")
    .option("--tls-key <file>", "the private key (PEM) of --tls-cert")
    .option("--client-ca <file>", "with TLS: require client certificates signed by these CAs (PEM): mutual TLS")
    .addHelpText(
      "after",
      `
Statements (DataInfo.statement):
  SELECT <columns | *> FROM <table> [WHERE …] [ORDER BY …] [LIMIT n]    any table or view of the store
  {"command": "<shell command>", "stream": "<name>", "options": {…}}    a live read of a go-plugin connector
  {"connector": "<installed name>", "stream": "<name>", "config": {…}}  the same, for an installed connector
The connection string (key=value;… or a JSON object), user and password are
merged into a live source's options. There is no authentication: listen on a
private address. See docs/qlik.md.

Examples:
  sluice serve qlik --db data.db --listen 127.0.0.1:50051
  PGPASSWORD=… sluice serve qlik --db postgres://me@localhost/analytics --schema crm
  sluice serve qlik --db duckdb:analytics.duckdb
${STORE_HELP}`,
    )
    .action(async (flags: ServeQlikFlags, command: Command) => {
      const ctx = context();
      const server = await startQlikServer({
        listen: flags.listen,
        store: { location: storeLocation(flags.db), schema: flags.schema },
        chunkBytes: positive(flags.chunkBytes, "--chunk-bytes"),
        startTimeoutMs: positive(flags.startTimeout, "--start-timeout") * 1000,
        version: command.parent?.parent?.version(),
        logger: ctx.logger.child({ server: "qlik" }),
        resolveConnector: installedConnector,
        tls: serverTls(flags),
      });
      const shown = describeLocation(flags.db);
      ctx.result(
        { listening: server.address, db: shown, revisions: ["qlik.connect", "qlik"] },
        `serving Qlik GetData (qlik.connect and qlik) on ${server.address} from ${shown}; Ctrl-C stops`,
      );
      const signal = await untilSignal();
      ctx.logger.info("stopping", { signal });
      await server.close();
    })
    .exitOverride()
    .showHelpAfterError();
  return serve.addCommand(qlik);
}

/** {"connector": name} statements run the installed connector of that name. */
function installedConnector(name: string): { command: string; cwd: string } {
  const registry = Registry.open();
  try {
    return registry.runnable(name);
  } finally {
    registry.close();
  }
}

/** A SQLite path resolved from the current folder; other locations as given. */
function storeLocation(db: string): string {
  return isStoreLocation(db) ? db : resolve(db);
}

/** The store for messages: never a password. */
function describeLocation(db: string): string {
  const location = parseStoreLocation(db);
  return location.kind === "postgres"
    ? location.display
    : location.kind === "duckdb"
      ? `duckdb:${location.file}`
      : location.file;
}

function serverTls(flags: ServeQlikFlags): QlikServerTls | undefined {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new UsageError("--tls-cert and --tls-key go together (the server's certificate and its key)");
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    if (flags.clientCa !== undefined) throw new UsageError("--client-ca needs TLS: give --tls-cert and --tls-key too");
    return undefined;
  }
  const read = (path: string, flag: string) => Buffer.from(readSecretFile(path, flag));
  return {
    cert: read(flags.tlsCert, "--tls-cert"),
    key: read(flags.tlsKey, "--tls-key"),
    clientCa: flags.clientCa === undefined ? undefined : read(flags.clientCa, "--client-ca"),
  };
}

function positive(value: string, flag: string): number {
  const number = Number(value);
  if (!(number > 0)) throw new UsageError(`${flag} must be a positive number (got "${value}")`);
  return number;
}
