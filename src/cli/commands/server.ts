/**
 * `sluice server`: the application (HTTP API, web UI, scheduler) on one
 * database; `sluice server token create | list | revoke` manages who may call it.
 */
import { Command } from "commander";
import { SluiceError } from "../../errors.js";
import type { TokenInfo, Tokens } from "../../server/auth/index.js";
import { ROLES, type Role } from "../../server/auth/roles.js";
import type { HttpServer } from "../../server/http/index.js";
import type { CliContext } from "../context.js";
import { untilSignal } from "../signals.js";
import { addTemporalOptions, TEMPORAL_HELP, type TemporalFlags, temporalSettings } from "../temporal-options.js";
import { onInterrupt } from "../../process/index.js";
import type { Client } from "@temporalio/client";
import { renderTable } from "../table.js";
import { isLoopbackHost, parseListen } from "../listen.js";

// The server's modules (HTTP framework, database layer) load only when a server
// command runs, so every other command starts as fast as before.
const loadApp = () => import("../../server/app.js");
const loadHttp = () => import("../../server/http/index.js");

export const DB_HELP =
  "database holding the data and the server's tables: a SQLite file, or postgres://… (schema sluice; password from PGPASSWORD or ~/.pgpass)";

interface ServerFlags extends TemporalFlags {
  db: string;
  listen: string;
  maxConcurrentSyncs: string;
  secureCookies?: boolean;
}

export function serverCommand(context: () => CliContext): Command {
  const server = new Command("server")
    .description("the Sluice application: HTTP API, web UI and scheduler, on one database")
    .option("--db <file>", DB_HELP, "sluice.db")
    .option(
      "--listen <host:port>",
      "address to serve on (port 0: any free port); loopback unless you say otherwise",
      "127.0.0.1:8080",
    )
    .option("--max-concurrent-syncs <n>", "syncs running at once; more wait their turn", "4")
    .option("--secure-cookies", "send the session cookie over HTTPS only (behind a TLS proxy)");
  addTemporalOptions(
    server,
    "run syncs as Temporal workflows on `sluice worker`s, and schedules as Temporal Schedules (host:port)",
  )
    .addHelpText(
      "after",
      `
The first start makes an admin token and prints it once: log in with it at the
printed address, or send it as \`Authorization: Bearer <token>\`. SIGTERM or
Ctrl-C stops cleanly: no new runs, running syncs cancelled gracefully (their
committed pages and state stay).

With --temporal, "run now" starts the workflow sync-<connection> on Temporal,
run by any \`sluice worker\` polling the task queue; a connection's schedule is
the Temporal Schedule sluice-<connection> (created, updated, paused and
deleted with it). Connections must then write to PostgreSQL (their
destination); workers open their sealed options with the same
SLUICE_SECRET_KEY as the server.
${TEMPORAL_HELP}

Examples:
  sluice server --listen 127.0.0.1:8080   # until stopped (Ctrl-C)
  sluice server --db server.db --listen 127.0.0.1:8081 --max-concurrent-syncs 2   # until stopped
  SLUICE_SECRET_KEY=… sluice server --temporal temporal.internal:7233 --namespace data   # not run: needs a Temporal cluster
  sluice server token create --name loader --role read`,
    )
    .action(async (flags: ServerFlags, command: Command) => {
      await serve(context(), flags, command.parent?.version());
    });
  return server.addCommand(tokenCommand(context).exitOverride().showHelpAfterError());
}

async function serve(ctx: CliContext, flags: ServerFlags, version: string | undefined): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  const maxConcurrentSyncs = Number(flags.maxConcurrentSyncs);
  if (!Number.isInteger(maxConcurrentSyncs) || maxConcurrentSyncs < 1)
    throw new SluiceError(
      "USAGE",
      `--max-concurrent-syncs must be a whole number, at least 1 (got "${flags.maxConcurrentSyncs}")`,
    );
  const logger = ctx.logger.child({ component: "server" });
  const [{ App }, { startHttpServer }] = await Promise.all([loadApp(), loadHttp()]);
  const temporal = await connectTemporal(flags, logger);
  const app = await App.open({ db: flags.db, maxConcurrentSyncs, logger, temporal }).catch(async (error) => {
    await temporal?.client.connection.close();
    throw error;
  });
  let http: HttpServer | undefined;
  try {
    const first = (await app.tokens.any()) ? undefined : await app.tokens.create("admin", "admin");
    http = await startHttpServer(app, { host, port, secureCookies: flags.secureCookies, version });
    if (!isLoopbackHost(host)) warnExposed(logger, http.url);
    app.scheduler.start();
    ctx.result(
      { url: http.url, db: app.db, ...(first ? { token: first.token, tokenId: first.info.id } : {}) },
      [
        `Sluice is serving ${app.db} at ${http.url}`,
        ...(first
          ? [
              "",
              "First start: an admin token was made. It is shown only now; keep it somewhere safe:",
              "",
              `  ${first.token}`,
              "",
              `Log in at ${http.url}/login with it, or send it as "Authorization: Bearer <token>".`,
            ]
          : [`Log in at ${http.url}/login with a token (\`sluice server token create\` makes one).`]),
        "Ctrl-C stops.",
      ].join("\n"),
    );
    const signal = await untilSignal();
    logger.info(`stopping (${signal}): no new runs; running syncs are cancelled gracefully`);
  } finally {
    await app.close();
    await http?.close();
    await temporal?.client.connection.close();
  }
}

/** With --temporal: Temporal's client, once it answers (retried until then; Ctrl-C gives up). */
async function connectTemporal(
  flags: ServerFlags,
  logger: CliContext["logger"],
): Promise<{ client: Client; address: string; taskQueue: string } | undefined> {
  const settings = temporalSettings(flags);
  if (!settings) return undefined;
  const { connectClient } = await import("../../worker/index.js");
  const { Client } = await import("@temporalio/client");
  const giveUp = new AbortController();
  const stopListening = onInterrupt(() => giveUp.abort(new SluiceError("SYNC_CANCELLED", "interrupted")));
  try {
    const connection = await connectClient(settings, logger, giveUp.signal);
    logger.info(
      `syncs run on Temporal at ${settings.address} (namespace ${settings.namespace}, task queue "${flags.taskQueue}")`,
    );
    const client = new Client({ connection, namespace: settings.namespace });
    return { client, address: settings.address, taskQueue: flags.taskQueue };
  } finally {
    stopListening();
  }
}

function warnExposed(logger: CliContext["logger"], url: string): void {
  const lines = [
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    `!! Sluice is listening on ${url}: NOT only this machine (loopback) can reach it.`,
    "!! Anyone who can reach that address can try tokens, and traffic is plain HTTP:",
    "!! put it behind a TLS proxy (and use --secure-cookies), or listen on 127.0.0.1.",
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
  ];
  for (const line of lines) logger.warn(line);
}

function tokenCommand(context: () => CliContext): Command {
  const token = new Command("token")
    .description("API tokens: every API call and page of `sluice server` needs one")
    .addHelpText(
      "after",
      `
Examples:
  sluice server token create --name ci --db sluice.db
  sluice server token create --name dashboards --role read
  sluice server token list
  sluice server token revoke ci`,
    );
  token.addCommand(
    new Command("create")
      .description("make a token and print it once (only its hash is stored)")
      .option("--name <name>", "what the token is for, shown in lists", "token")
      .option("--role <role>", `${ROLES.join(" or ")}: read tokens may only look`, "admin")
      .action(async (flags: { name: string; role: string }, command: Command) => {
        const ctx = context();
        await withTokens(dbOf(command), async (tokens) => {
          const { token, info } = await tokens.create(flags.name, flags.role as Role);
          ctx.result(
            { token, ...info },
            `${token}\n\nThis is token ${info.id} ("${info.name}", ${info.role}). It is shown only now: keep it somewhere safe.`,
          );
        });
      }),
  );
  token.addCommand(
    new Command("list")
      .description("every token: id, name, role, when made, last used, revoked")
      .action(async (_flags: unknown, command: Command) => {
        const ctx = context();
        await withTokens(dbOf(command), async (tokens) => {
          const all = await tokens.list();
          ctx.result(all, renderTokens(all));
        });
      }),
  );
  token.addCommand(
    new Command("revoke")
      .description("stop a token (and every browser session made with it) from working, at once")
      .argument("<token>", "the token's id or name")
      .action(async (idOrName: string, _flags: unknown, command: Command) => {
        const ctx = context();
        await withTokens(dbOf(command), async (tokens) => {
          const revoked = await tokens.revoke(idOrName);
          ctx.result(revoked, `revoked token ${revoked.id} ("${revoked.name}") at ${revoked.revokedAt}`);
        });
      }),
  );
  // --db is `sluice server`'s option, written before or after the token verb; help shows it.
  for (const sub of token.commands) sub.exitOverride().showHelpAfterError().configureHelp({ showGlobalOptions: true });
  return token;
}

function dbOf(command: Command): string {
  return (command.optsWithGlobals() as { db: string }).db;
}

/** The database's tokens, for one command. */
async function withTokens<T>(db: string, work: (tokens: Tokens) => Promise<T>): Promise<T> {
  const [{ openMetadata }, { Tokens }] = await Promise.all([
    import("../../server/metadata/index.js"),
    import("../../server/auth/tokens.js"),
  ]);
  const metadata = await openMetadata(db);
  try {
    return await work(new Tokens(metadata.db));
  } finally {
    await metadata.close();
  }
}

function renderTokens(tokens: TokenInfo[]): string {
  if (tokens.length === 0) return "(no tokens yet: `sluice server` makes the first, or `sluice server token create`)";
  return renderTable(
    ["ID", "NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"],
    tokens.map((t) => [t.id, t.name, t.role, t.createdAt, t.lastUsedAt ?? "-", t.revokedAt ?? "-"]),
  );
}
