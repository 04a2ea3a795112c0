/** `sluice serve qlik`: the store (and, when allowed, installed connectors' live reads) as a Qlik data connector. */
import { Command } from "commander";
import { resolve } from "node:path";
import { isStoreLocation, parseStoreLocation } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { Registry } from "../../registry/index.js";
import { DEFAULT_CHUNK_BYTES } from "../../protocol/qlik/chunks.js";
import type { QlikServerOptions, QlikServerTls } from "../../server/qlik/server.js";
import { readSecretFile } from "../connector-options.js";
import type { CliContext } from "../context.js";
import { addStoreOptions, STORE_HELP, type StoreFlags } from "../store-options.js";
import { isLoopbackAddress, listenAddress } from "../listen.js";
import { untilSignal } from "../signals.js";
import { positiveNumber } from "../numbers.js";

interface ServeQlikFlags extends StoreFlags {
  listen: string;
  chunkBytes: string;
  startTimeout: string;
  timeout: string;
  liveSources?: boolean | string;
  auth: boolean;
  tokensDb?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
}

export function serveCommand(context: () => CliContext): Command {
  const serve = new Command("serve").description("serve Sluice's data to other systems");
  const qlik = addStoreOptions(new Command("qlik"), true)
    .description(
      "serve the store as a Qlik data connector (gRPC GetData, revisions qlik and qlik.connect), to clients with a token or a client certificate",
    )
    .option(
      "--listen <host:port>",
      "address to listen on; a bare port means 127.0.0.1 (port 0: any free port)",
      "127.0.0.1:50051",
    )
    .option("--tls-cert <file>", "serve TLS with this certificate chain (PEM)")
    .option("--tls-key <file>", "the private key (PEM) of --tls-cert")
    .option(
      "--client-ca <file>",
      "with TLS: admit only clients whose certificate these CAs (PEM) signed (mutual TLS; then no token is needed)",
    )
    .option("--tokens-db <file>", "the SQLite database whose tokens admit clients (default: --db, when a SQLite file)")
    .option("--no-auth", "admit every client without a token or certificate (only on a loopback address)")
    .option(
      "--live-sources [names]",
      "also serve live reads of installed connectors (comma-separated names; none given: every installed one)",
    )
    .option("--timeout <seconds>", "the longest a GetData call may run; its query's process is then killed", "300")
    .option("--chunk-bytes <bytes>", "target encoded size of a DataChunk", String(DEFAULT_CHUNK_BYTES))
    .option("--start-timeout <seconds>", "how long a live source's connector may take to start", "60")
    .addHelpText(
      "after",
      `
Statements (DataInfo.statement):
  SELECT <columns | *> FROM <table> [WHERE …] [ORDER BY …] [LIMIT n]   a table or view of the store
  {"connector": "<installed name>", "stream": "<name>", "config": {…}}  with --live-sources: a live read
Sluice's own tables (_sluice_*) and the database's catalog are never served. The
connection string (key=value;… or a JSON object), user and password are
merged into a live source's options; no shell command a client sends is run.

Who may call: a client whose certificate --client-ca signed (mutual TLS: the
way to connect a Qlik engine), or one sending \`authorization: Bearer <token>\`
metadata with a token from \`sluice server token create --db <the same db>\`
(a PostgreSQL or DuckDB store keeps no tokens: give --tokens-db <a SQLite file>).

Examples:
  sluice server token create --name loader --role read --db data.db | head -n 1 > token.txt
  sluice serve qlik --db data.db --listen 127.0.0.1:50052   # until stopped (Ctrl-C)
  sluice sync --qlik 127.0.0.1:50052 --qlik-token-file token.txt --statement 'SELECT * FROM generator_users' --db copy.db
  PGPASSWORD=… sluice serve qlik --db postgres://me@localhost/analytics --tokens-db tokens.db --listen 127.0.0.1:50053   # until stopped
  sluice serve qlik --listen 0.0.0.0:50051 --db sluice.db \\
      --tls-cert sse_server_cert.pem --tls-key sse_server_key.pem --client-ca root_cert.pem   # not run: needs Qlik's certificates
See docs/qlik.md.
${STORE_HELP}`,
    )
    .action(async (given: ServeQlikFlags, command: Command) => {
      const ctx = context();
      const flags = { ...given, listen: listenAddress(given.listen) };
      const logger = ctx.logger.child({ server: "qlik" });
      const tls = serverTls(flags);
      const access = await admission(flags, tokensDb(flags), tls, logger);
      const { startQlikServer } = await import("../../server/qlik/server.js");
      const server = await startQlikServer({
        listen: flags.listen,
        store: { location: storeLocation(flags.db), schema: flags.schema },
        chunkBytes: positiveNumber(flags.chunkBytes, "--chunk-bytes"),
        startTimeoutMs: positiveNumber(flags.startTimeout, "--start-timeout") * 1000,
        timeoutMs: positiveNumber(flags.timeout, "--timeout") * 1000,
        version: command.parent?.parent?.version(),
        logger,
        liveSources: liveSources(flags.liveSources),
        resolveConnector: installedConnector,
        tls,
        authenticate: access.authenticate,
      });
      const shown = describeLocation(flags.db);
      ctx.result(
        { listening: server.address, db: shown, revisions: ["qlik.connect", "qlik"], auth: access.kind },
        `serving Qlik GetData (qlik.connect and qlik) on ${server.address} from ${shown}, to ${access.who}; Ctrl-C stops`,
      );
      const signal = await untilSignal();
      ctx.logger.info("stopping", { signal });
      await server.close();
      await access.close();
    })
    .exitOverride()
    .showHelpAfterError();
  return serve.addCommand(qlik);
}

interface Admission {
  kind: "client-certificate" | "token" | "none";
  /** Who gets in, for the start-up line. */
  who: string;
  authenticate: QlikServerOptions["authenticate"];
  close(): Promise<void>;
}

/**
 * Who may call, and the warnings a server reachable from other machines
 * deserves: mutual TLS needs no token; else tokens from the database; no
 * authentication only on loopback.
 */
async function admission(
  flags: ServeQlikFlags,
  db: string | undefined,
  tls: QlikServerTls | undefined,
  logger: Logger,
): Promise<Admission> {
  const local = isLoopbackAddress(flags.listen);
  if (!local && !tls)
    logger.warn(
      `LISTENING ON ${flags.listen} WITHOUT TLS: every statement, row, token and password crosses the network in ` +
        "plain text, readable by anyone on the path. Give --tls-cert/--tls-key (and --client-ca), or listen on 127.0.0.1.",
    );
  if (tls?.clientCa)
    return {
      kind: "client-certificate",
      who: "clients with a certificate --client-ca signed",
      authenticate: undefined,
      close: async () => {},
    };
  if (!flags.auth) {
    if (!local)
      throw new UsageError(
        `--no-auth admits everyone: it is only allowed on a loopback address, not ${flags.listen}; use tokens or --client-ca`,
      );
    logger.warn("no authentication (--no-auth): every local user and process can read the served tables");
    return { kind: "none", who: "every local client (--no-auth)", authenticate: undefined, close: async () => {} };
  }
  if (!local)
    logger.warn(
      `listening on ${flags.listen}, reachable from other machines: admitted by token; ` +
        "the documented safe way is mutual TLS (--client-ca), which a Qlik engine can present",
    );
  if (db === undefined)
    throw new UsageError(
      "--db is not a SQLite file, so it keeps no tokens: give --tokens-db <file> (tokens from `sluice server token create --db <file>`), or --client-ca",
    );
  // Loaded here, not at the top: the metadata database's query builder is hundreds of modules every other command would pay for.
  const [{ openMetadata }, { Tokens }] = await Promise.all([
    import("../../server/metadata/index.js"),
    import("../../server/auth/index.js"),
  ]);
  const metadata = await openMetadata(db);
  const tokens = new Tokens(metadata.db);
  if (!(await tokens.any()))
    logger.warn(`no token exists yet: create one with \`sluice server token create --name <who> --db ${db}\``);
  return {
    kind: "token",
    who: "clients with a token",
    authenticate: async (token) => token !== undefined && (await tokens.verify(token)) !== undefined,
    close: () => metadata.close(),
  };
}

function liveSources(flag: boolean | string | undefined): QlikServerOptions["liveSources"] {
  if (flag === undefined || flag === false) return undefined;
  if (flag === true) return "installed";
  const names = flag
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (!names.length) throw new UsageError("--live-sources takes installed connectors' names, comma-separated");
  return names;
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

/** Where the tokens are: --tokens-db, else a SQLite --db. */
function tokensDb(flags: ServeQlikFlags): string | undefined {
  if (flags.tokensDb !== undefined) return resolve(flags.tokensDb);
  const location = parseStoreLocation(flags.db);
  return location.kind === "sqlite" ? resolve(location.file) : undefined;
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
