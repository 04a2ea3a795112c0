/**
 * Every error code Sluice can answer with, in one registry (as undici keeps
 * its errors in one file), and the error classes shared across modules.
 *
 * A code is stable: `--json` output, the HTTP API and tests match on it. Each
 * has a one-line meaning and what to do; docs/errors.md is rendered from this
 * registry (`npm run docs:errors`) and a test keeps the two equal. Errors
 * specific to one module (ManifestError, PluginError, ...) live beside it,
 * extend SluiceError, and take their code from here.
 *
 * A leaf module: imports nothing of ours.
 */

interface CodeInfo {
  /** The section of docs/errors.md the code is listed under. */
  readonly area: string;
  /** What happened, in one line. */
  readonly meaning: string;
  /** What the user can do about it. */
  readonly action: string;
}

const COMMAND_LINE = "Commands and options";
const CONNECTORS = "Running connectors";
const PLUGIN = "go-plugin connectors";
const SYNCS = "Syncs and pipelines";
const STORES = "Stores";
const REGISTRY = "Installing connectors";
const SERVERS = "Servers and Qlik";
const APPLICATION = "The server: API, connections and runs";
const TEMPORAL = "Temporal (distributed syncs)";

export const ERROR_CODES = {
  USAGE: {
    area: COMMAND_LINE,
    meaning: "A command was given arguments or flags it cannot use.",
    action: "Read the message, then `sluice <command> --help` for the flags and examples.",
  },
  OPTIONS_INVALID: {
    area: COMMAND_LINE,
    meaning: "A connector's options (or config) break its schema, or its own check refused them.",
    action: "Fix the options the message names; `sluice spec <connector>` prints the schema they must follow.",
  },
  CATALOG_INVALID: {
    area: COMMAND_LINE,
    meaning: "A configured catalog does not match the streams or modes the source offers.",
    action: "Write the defaults with `sluice airbyte catalog <source> -o catalog.json`, then edit that file.",
  },
  STREAM_UNKNOWN: {
    area: COMMAND_LINE,
    meaning: "--streams names a stream the connector does not offer.",
    action: "List the streams with `sluice discover <connector>` and pick from those.",
  },
  CONFIRMATION_REQUIRED: {
    area: COMMAND_LINE,
    meaning: "An install or update would run commands, and there is no terminal to ask for confirmation on.",
    action: "Read the plan it printed and pass --yes to confirm it.",
  },
  NOT_CONFIRMED: {
    area: COMMAND_LINE,
    meaning: "The install or update was not confirmed at the prompt; nothing was done.",
    action: "Run it again and answer y, or pass --yes.",
  },
  INTERNAL: {
    area: COMMAND_LINE,
    meaning: "Something failed that Sluice has no specific code for: most likely a bug.",
    action: "Run again with SLUICE_DEBUG=1 to see the stack trace, and report it with the command you ran.",
  },

  CONNECTOR_NOT_FOUND: {
    area: CONNECTORS,
    meaning: "No connector exists where the command says (a Code Climate package, a built-in module).",
    action: "Check the slug or path; the message lists every place Sluice looked.",
  },
  CONNECTOR_NOT_BUILT: {
    area: CONNECTORS,
    meaning: "The connector's package exists, but its main module does not: it was not built.",
    action: "Build the package (e.g. `npm run build` in its folder), then run again.",
  },
  CONNECTOR_START_FAILED: {
    area: CONNECTORS,
    meaning: "The connector's command could not be started at all.",
    action: "Check the command (--command or the manifest's `command`) and --cwd: does it run by hand?",
  },
  CONNECTOR_FAILED: {
    area: CONNECTORS,
    meaning: "The connector ran and reported a failure, or exited with an error.",
    action: "Read the connector's own message and last output lines in the error; fix its config or report it.",
  },
  CONNECTOR_CRASHED: {
    area: CONNECTORS,
    meaning: "The connector's process exited or was killed before it finished.",
    action: "Read its last output lines in the error; run with --log-level debug for the whole log.",
  },
  CONNECTOR_PROTOCOL_VIOLATION: {
    area: CONNECTORS,
    meaning: "The connector sent something its protocol does not allow (a malformed message, an unselected stream).",
    action: "This is a bug in the connector: report it to its authors with the message.",
  },
  CALL_OUT_OF_ORDER: {
    area: CONNECTORS,
    meaning: "A connector was called out of its protocol's order (Open before Configure), or for a side it lacks.",
    action: "Give the connector the end it offers (source or destination); otherwise report it to the host's authors.",
  },
  DATA_MALFORMED: {
    area: CONNECTORS,
    meaning: "Bytes from the other side do not decode as the protocol's messages or column pages.",
    action: "Check that both sides speak the same protocol version; otherwise report it to the sender's authors.",
  },
  RECORD_INVALID: {
    area: CONNECTORS,
    meaning: "A record breaks its stream's schema, or the store cannot take it (e.g. a delete without a key).",
    action: "The message names the stream and record: fix the connector, or the data it reads.",
  },
  LIMIT_EXCEEDED: {
    area: CONNECTORS,
    meaning: "The connector went over its memory or time limit and was stopped.",
    action: "Raise the limit (--memory-limit, --time-limit) or sync less at once (a later cutoff, fewer streams).",
  },
  OUTPUT_TOO_LARGE: {
    area: CONNECTORS,
    meaning: "A connector printed a line (one message) or an answer (a catalog) longer than Sluice reads.",
    action: "The message names the limit; report it to the connector's authors (a record that large cannot be synced).",
  },
  DESTINATION_REJECTED: {
    area: CONNECTORS,
    meaning: "A destination connector failed a record it was sent.",
    action: "Read the destination's reason in the message; records acked before it are kept.",
  },
  DESTINATION_ENDED: {
    area: CONNECTORS,
    meaning: "A destination connector ended its stream with records it never acknowledged.",
    action: "Look at the destination's log for why it stopped; records acked before it are kept, rerun to resume.",
  },

  PLUGIN_EXECUTABLE_NOT_FOUND: {
    area: PLUGIN,
    meaning: "The connector's executable does not exist.",
    action: "Check the path in --command (relative paths start from --cwd), or build the connector.",
  },
  PLUGIN_NOT_EXECUTABLE: {
    area: PLUGIN,
    meaning: "The connector's file exists but cannot be executed.",
    action: "Make it executable (`chmod +x <file>`), or start it through its interpreter.",
  },
  PLUGIN_EXITED_BEFORE_HANDSHAKE: {
    area: PLUGIN,
    meaning: "The connector exited before it printed go-plugin's handshake line.",
    action: "Read its last stderr lines in the error; run the command by hand to see why it stops.",
  },
  PLUGIN_WRONG_MAGIC_COOKIE: {
    area: PLUGIN,
    meaning: "The program refused to run as a plugin: it expects another magic cookie.",
    action: "Choose the protocol it speaks with --protocol (sluice, c1, or a kind-specific command).",
  },
  PLUGIN_MALFORMED_HANDSHAKE: {
    area: PLUGIN,
    meaning: "The first line on the connector's stdout is not a go-plugin handshake line.",
    action:
      "The connector must print nothing on stdout before its handshake; check --protocol for non-go-plugin kinds.",
  },
  PLUGIN_UNSUPPORTED_PROTOCOL: {
    area: PLUGIN,
    meaning: "The connector's handshake asks for a protocol version or transport Sluice does not speak.",
    action: "Use a connector built against a supported SDK version; the message lists the versions offered.",
  },
  PLUGIN_HANDSHAKE_TIMEOUT: {
    area: PLUGIN,
    meaning: "The connector did not print its handshake line in time.",
    action: "Raise --start-timeout for slow starters, or check that the command starts the connector itself.",
  },
  PLUGIN_HEALTH_CHECK_FAILED: {
    area: PLUGIN,
    meaning: "The connector's gRPC health service did not answer SERVING.",
    action: "Read the connector's log; it started but is not ready to serve.",
  },
  PLUGIN_BROKER_DIAL_TIMEOUT: {
    area: PLUGIN,
    meaning: "A go-plugin broker connection was not announced in time.",
    action: "The other side did not offer the service it was asked for: report it to the connector's authors.",
  },
  PLUGIN_CRASHED: {
    area: PLUGIN,
    meaning: "The connector's process died while Sluice was talking to it.",
    action: "Read its last stderr lines in the error; data written before the crash is kept.",
  },
  PLUGIN_NOT_A_PLUGIN: {
    area: PLUGIN,
    meaning: "The program ran without speaking go-plugin at all.",
    action: "Check that --command starts the connector and --protocol matches what it speaks.",
  },

  SYNC_FAILED: {
    area: SYNCS,
    meaning: "A sync failed; pages written before the failure are kept, and the state with them.",
    action: "Fix the cause in the message and run the sync again: it resumes from the saved state.",
  },
  SYNC_ALREADY_RUNNING: {
    area: SYNCS,
    meaning:
      "A sync of the same connector into the same store runs already (the message names its process), or the connection's Temporal workflow sync-<connection> is open: two would race on the saved state.",
    action:
      "Wait for it to end, or cancel it, then start again. A sync whose process died (kill -9, a crash) does not block: the next sync on the same machine closes its entry as interrupted.",
  },
  SYNC_CANCELLED: {
    area: SYNCS,
    meaning: "The sync was interrupted (Ctrl-C or a signal); what was written is kept.",
    action: "Run it again to continue from the saved state.",
  },
  SYNC_TIMEOUT: {
    area: SYNCS,
    meaning: "The sync ran longer than --timeout and was stopped; what was written is kept.",
    action: "Raise --timeout, or sync fewer streams at once; the next run resumes from the saved state.",
  },
  PIPELINE_FAILED: {
    area: SYNCS,
    meaning: "A pipeline failed; records acked before the failure are kept, and the position after them.",
    action: "Fix the cause in the message and run the pipeline again: it resumes from the saved position.",
  },
  PIPELINE_STOP_TIMEOUT: {
    area: SYNCS,
    meaning: "A pipeline asked to stop (Ctrl-C, --idle-stop, --max-records) did not finish stopping in --stop-timeout.",
    action:
      "A connector stopped answering: check it (its log, its host); positions saved so far are true, rerun to resume.",
  },
  SECRET_KEY_UNREADABLE: {
    area: SYNCS,
    meaning: "The key that seals the configs pipelines keep ($SLUICE_HOME/secret.key) cannot be read or is not a key.",
    action:
      "Check the file and its permissions, or point SLUICE_SECRET_KEY_FILE at the key this store's configs were sealed with.",
  },

  STORE_FAILED: {
    area: STORES,
    meaning: "The store itself failed: the disk is full, the file is read-only or cannot be opened.",
    action: "Free space, or check the path and its permissions.",
  },
  STORE_BUSY: {
    area: STORES,
    meaning:
      "Another process holds the database: a SQLite file's write lock held longer than Sluice waits (5 s), by another program writing to it or a transaction left open (a sqlite3 shell), or a DuckDB file, which one process opens at a time.",
    action:
      "Wait for the other process or end its transaction, then try again (the server answers 503 meanwhile, with Retry-After). Nothing of the failed page was written; earlier pages are kept.",
  },
  DISTRIBUTED_STORE_REFUSED: {
    area: STORES,
    meaning: "A sync through Temporal was given a SQLite or DuckDB file, which workers on other machines cannot share.",
    action: "Give the worker (--db) and the connection a postgres://… destination that every worker reaches.",
  },
  STORE_UNREACHABLE: {
    area: STORES,
    meaning:
      "The PostgreSQL server named by --db cannot be reached (refused, no such host, timed out), or the connection to it was lost during the command (a restart, a failover, an administrator ending the session).",
    action:
      "Check that the server runs and listens at the host and port the message names (PGHOST/PGPORT fill in missing parts). A sync cut off keeps the pages it committed: run it again once the server is back, and it goes on from there.",
  },
  STORE_AUTH_FAILED: {
    area: STORES,
    meaning:
      "The PostgreSQL server refused the user or password, or its pg_hba.conf refuses the connection (one unencrypted, where it takes only encrypted ones), or it asked for the password in a way the URL's require_auth does not allow.",
    action:
      "Give the password with PGPASSWORD or ~/.pgpass, and check the user and the server's pg_hba.conf; for a server taking only encrypted connections, leave sslmode out or use sslmode=allow, prefer or require.",
  },
  STORE_TLS_FAILED: {
    area: STORES,
    meaning:
      "The TLS connection sslmode asks for failed: the PostgreSQL server's certificate is not trusted, is for another host name, has expired or is revoked, the server offers no TLS, or the URL's TLS settings cannot be used (a file sslrootcert names is missing).",
    action:
      "Give the signing authority's certificate with sslrootcert=<file> (or PGSSLROOTCERT); sslmode=verify-ca checks the certificate but not its name, sslmode=require encrypts without checking, as in libpq. For a server that offers no TLS, sslmode=prefer connects unencrypted.",
  },
  STORE_LOCATION_INVALID: {
    area: STORES,
    meaning:
      "--db (or a connection's destination) names no store Sluice knows, such as mysql://…, a PostgreSQL URL that cannot be read (a port that is not a number, a misspelt setting, a setting asking for a safety Sluice cannot check), a folder or no file at all, or a database file of the other kind: a DuckDB file named as SQLite, or the reverse.",
    action:
      "Name a SQLite file by its path, PostgreSQL as postgres://…, DuckDB as duckdb:<file>; for a file, the message says which kind it holds.",
  },
  STORE_NOT_FOUND: {
    area: STORES,
    meaning:
      "A read-only command named a store that does not exist (no file, or no Sluice tables in the schema); it creates none.",
    action: "Check --db and --schema: a sync creates the store on its first write.",
  },
  PRIMARY_KEY_CHANGED: {
    area: STORES,
    meaning: "A stream's primary key differs from the one its table was created with, so rows cannot be upserted.",
    action:
      "Sync into a new table (--table-prefix), or drop the table the message names and sync again with --full-refresh.",
  },
  LISTEN_FAILED: {
    area: SERVERS,
    meaning: "A server could not listen on the address it was given.",
    action: "Pick a free port, or stop what is already listening there.",
  },

  MANIFEST_INVALID: {
    area: REGISTRY,
    meaning: "A connector manifest cannot be read, is not JSON, or breaks the manifest schema.",
    action: "Fix the fields the message lists; the schema is schemas/manifest.schema.json (see docs/registry.md).",
  },
  FETCH_FAILED: {
    area: REGISTRY,
    meaning: "Fetching the connector's source failed (a download, a git command, a local path, an archive).",
    action: "Check the manifest's `uri` and `ref`, and the network; nothing was installed.",
  },
  HTTP_STATUS: {
    area: REGISTRY,
    meaning: "A download answered with an HTTP error status.",
    action: "Check the URL the message names.",
  },
  CHECKSUM_MISMATCH: {
    area: REGISTRY,
    meaning: "The downloaded file's sha256 differs from the manifest's `sha256`.",
    action: "The file changed upstream or the checksum is wrong: confirm the right one before installing.",
  },
  ARCHIVE_UNSAFE: {
    area: REGISTRY,
    meaning: "An archive has an entry that would land outside the install folder, or is too large.",
    action: "Do not install it; report the archive to its publisher.",
  },
  COMMAND_FAILED: {
    area: REGISTRY,
    meaning: "An install, update or git command exited with an error.",
    action: "Read its last output lines in the error and the install log it names.",
  },
  INSTALL_TIMEOUT: {
    area: REGISTRY,
    meaning: "An install or update took longer than --timeout and was stopped.",
    action: "Raise --timeout for slow builds; the previous installation is still in use.",
  },
  INSTALL_CANCELLED: {
    area: REGISTRY,
    meaning: "An install or update was interrupted; the previous installation is still in use.",
    action: "Run it again.",
  },
  INSTALL_BUSY: {
    area: REGISTRY,
    meaning: "Another process is installing, updating or removing the same connector.",
    action: "Wait for it to finish; if no Sluice process holds it, delete the lock file the message names.",
  },
  INSTALL_FAILED: {
    area: REGISTRY,
    meaning: "An install or update failed for a reason without a more specific code.",
    action: "Read the install log the message names.",
  },
  CONNECTOR_NOT_INSTALLED: {
    area: REGISTRY,
    meaning: "No connector of that name is installed.",
    action: "See `sluice connectors list`; install with `sluice connectors install <manifest>`, or use --command.",
  },
  CONNECTOR_EXISTS: {
    area: REGISTRY,
    meaning: "A connector of that name is already installed.",
    action: "Update it with `sluice connectors update <name>`, install under another --name, or remove it first.",
  },
  CONNECTOR_NOT_READY: {
    area: REGISTRY,
    meaning: "The connector is known but has no working installation: its install failed.",
    action: "See `sluice connectors show <name>`, then install it again.",
  },

  QLIK_STATEMENT_INVALID: {
    area: SERVERS,
    meaning: "A Qlik load statement cannot be understood or is not allowed.",
    action: "Follow the grammar in the message (see docs/qlik.md).",
  },
  QLIK_TABLE_NOT_FOUND: {
    area: SERVERS,
    meaning: "A Qlik statement names a table or view the store does not have.",
    action: "Pick one of the tables the message lists.",
  },
  QLIK_SOURCE_NOT_ALLOWED: {
    area: SERVERS,
    meaning:
      "A Qlik statement asks for a live connector read the server does not allow (live sources are off by default).",
    action:
      "Read from the store, or start `sluice serve qlik --live-sources <installed names>`; free commands are never run.",
  },
  QLIK_UNAUTHENTICATED: {
    area: SERVERS,
    meaning: "A call to `sluice serve qlik` carried no valid token (and the server requires no client certificate).",
    action:
      "Send `authorization: Bearer <token>` (sluice sync --qlik-token-file) with a token from `sluice server token create`.",
  },
  QLIK_DEADLINE_EXCEEDED: {
    area: SERVERS,
    meaning: "A GetData call ran longer than the server's --timeout and was stopped (its query's process killed).",
    action: "Narrow the statement (WHERE, LIMIT), or raise the server's --timeout if the load is legitimately long.",
  },
  QLIK_UNREACHABLE: {
    area: SERVERS,
    meaning: "The Qlik connector cannot be reached at the address given.",
    action: "Check that it is running and listening on the --qlik host:port.",
  },
  QLIK_CALL_FAILED: {
    area: SERVERS,
    meaning: "A Qlik connector answered GetData or GetMetaInfo with an error status.",
    action: "Read the connector's status and details in the message; check the statement and connection string.",
  },
  QLIK_PROTOCOL_VIOLATION: {
    area: SERVERS,
    meaning: "A Qlik connector broke the GetData contract (header, chunks, field types).",
    action: "Report it to the connector's authors with the message.",
  },
  METADATA_FAILED: {
    area: SERVERS,
    meaning:
      "The server's own tables (tokens, connections, runs) in the database cannot be opened or brought up to date.",
    action: "Check the --db path, its permissions and free disk space; the message says which step failed.",
  },
  TOKEN_NOT_FOUND: {
    area: SERVERS,
    meaning: "No API token has the id or name given.",
    action: "List the tokens with `sluice server token list` and use one of their ids.",
  },
  TOKEN_AMBIGUOUS: {
    area: SERVERS,
    meaning: "Several live API tokens share the name given.",
    action: "Revoke by id instead: the message lists the ids of the tokens with that name.",
  },
  REQUEST_INVALID: {
    area: APPLICATION,
    meaning:
      "A request to the HTTP API does not match its schema (a field missing, of the wrong type or out of range).",
    action: "Fix the field the error names; /api/openapi.json describes every request.",
  },
  UNAUTHENTICATED: {
    area: APPLICATION,
    meaning: "The call carried no token or session, or one that is revoked, expired or mistyped.",
    action: "Send `Authorization: Bearer <token>` (`sluice server token create` makes one), or log in again.",
  },
  FORBIDDEN: {
    area: APPLICATION,
    meaning: "The token may only read, and the call would change something.",
    action: "Use an admin token for changes (`sluice server token create --role admin`).",
  },
  CSRF_REQUIRED: {
    area: APPLICATION,
    meaning: "A browser session asked for a change without its CSRF token.",
    action: "Send the token from GET /api/session in the X-CSRF-Token header (the web UI does this itself).",
  },
  NOT_FOUND: {
    area: APPLICATION,
    meaning: "No API route or page has that path.",
    action: "Check the path against /api/openapi.json.",
  },
  CONNECTION_NOT_FOUND: {
    area: APPLICATION,
    meaning: "No connection has the id or name given.",
    action: "List the connections (`sluice connections list`, GET /api/connections) and use one of those.",
  },
  CONNECTION_EXISTS: {
    area: APPLICATION,
    meaning: "A connection with that name exists already.",
    action: "Pick another name, or edit the existing connection.",
  },
  CONNECTION_NAME_INVALID: {
    area: APPLICATION,
    meaning: "A connection's name has characters that cannot name its tables and state.",
    action: "Use letters, digits, '_', '.' or '-' (at most 64, starting with a letter or digit).",
  },
  CONNECTION_RENAME: {
    area: APPLICATION,
    meaning: "An edit tried to change a connection's name, which names its tables and state.",
    action: "Keep the name, or make a new connection under the new name.",
  },
  CONNECTOR_IN_USE: {
    area: APPLICATION,
    meaning: "A connector cannot be removed while connections use it.",
    action: "Delete or move the connections the message lists, then remove the connector.",
  },
  PLAN_NOT_FOUND: {
    area: APPLICATION,
    meaning: "An install or update plan is unknown or older than ten minutes.",
    action: "Ask for the plan again, read it, then confirm it.",
  },
  SCHEDULE_INVALID: {
    area: APPLICATION,
    meaning: "A schedule is not a cron expression or a whole number of seconds.",
    action: "Give a 5- or 6-field cron expression, or an interval such as `every 15m`.",
  },
  RUN_NOT_FOUND: {
    area: APPLICATION,
    meaning: "No run has the id given.",
    action: "List the runs (GET /api/runs) and use one of their ids.",
  },
  RUN_ACTIVE: {
    area: APPLICATION,
    meaning: "The connection has a run queued or running already: a connection runs one sync at a time.",
    action: "Wait for that run to end, or cancel it, then start another.",
  },
  RUN_NOT_HERE: {
    area: APPLICATION,
    meaning: "The run is going in another Sluice process, which alone can cancel it.",
    action: "Cancel it where it runs (the message names the process), or stop that process.",
  },
  SERVER_STOPPING: {
    area: APPLICATION,
    meaning: "The server is stopping and starts no new runs.",
    action: "Start it again, then run the connection.",
  },
  TABLE_NOT_FOUND: {
    area: APPLICATION,
    meaning: "The connection has no table of that name.",
    action: "List its tables (GET /api/connections/{id}/tables) and pick one of those.",
  },
  SECRET_KEY_INVALID: {
    area: APPLICATION,
    meaning: "SLUICE_SECRET_KEY or the key file is not a 32-byte key.",
    action: "Make one with `openssl rand -base64 32` and give that.",
  },
  SECRET_KEY_EXPOSED: {
    area: APPLICATION,
    meaning: "The secret key file can be read by other users.",
    action: "Run `chmod 600` on the file the message names.",
  },
  SECRET_KEY_MISMATCH: {
    area: APPLICATION,
    meaning: "A connection's secrets were encrypted with another key than the one in use.",
    action: "Set SLUICE_SECRET_KEY to the key they were made with, or enter the secrets again.",
  },
  SECRET_UNREADABLE: {
    area: APPLICATION,
    meaning: "A connection's stored secrets are damaged or in an unknown format.",
    action: "Enter the connection's secrets again.",
  },
  TEMPORAL_UNREACHABLE: {
    area: TEMPORAL,
    meaning: "The Temporal server named by --temporal cannot be reached (refused, no such host, TLS failed).",
    action:
      "Check the address, that the server runs, and the TLS settings (docs/temporal.md); Sluice keeps retrying meanwhile.",
  },
} as const satisfies Record<string, CodeInfo>;

/** Every code an error of Sluice can carry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The root of Sluice's typed errors: a stable `code` and a message saying what is wrong, where, and what to do. */
export class SluiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Arguments or flags a command cannot use. */
export class UsageError extends SluiceError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** A connector sent something its protocol does not allow. */
export class ConnectorProtocolError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONNECTOR_PROTOCOL_VIOLATION", message, options);
  }
}

/** Bytes that do not decode as the protocol's messages or column pages. */
export class MalformedDataError extends SluiceError {
  constructor(message: string) {
    super("DATA_MALFORMED", message);
  }
}

/** The code of anything thrown: a SluiceError's own, else `fallback`. */
export function codeOf(error: unknown, fallback: ErrorCode): ErrorCode {
  return error instanceof SluiceError ? error.code : fallback;
}

/** The message of anything thrown, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
