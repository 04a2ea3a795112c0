/**
 * The application's own tables (tokens, sessions, connections, runs), kept in
 * the same database as the data, beside the store's `_sluice_*` tables. Times
 * are ISO-8601 UTC text on every dialect, so they sort and compare the same.
 */
import type { Generated } from "kysely";

export interface TokenTable {
  /** The public part of the token (it is also inside the token text): names it in lists and revocations. */
  id: string;
  name: string;
  role: string;
  /** SHA-256 of the whole token, hex: the token itself is never stored. */
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SessionTable {
  /** SHA-256 of the session cookie's value, hex. */
  hash: string;
  token_id: string;
  created_at: string;
  expires_at: string;
}

export interface ConnectionTable {
  id: Generated<number>;
  /** Names the connection's tables, state and sync log entries (the engine's connector instance). */
  name: string;
  /** The installed connector it runs (src/registry). */
  connector: string;
  /** JSON: the options, each secret replaced by a mask (see server/connections/options.ts). */
  options: string;
  /** AES-256-GCM ciphertext of the secret parts (JSON), or null when there are none. */
  secrets: string | null;
  /** JSON array of the secret options' paths (JSON pointers; "" = the whole raw options string). */
  secret_paths: string;
  /** JSON array of selected stream names, or null for every stream. */
  streams: string | null;
  table_prefix: string | null;
  /** Where the data goes; null = the server's own database. */
  destination: string | null;
  /** "cron:<expression>", "every:<seconds>", or null for no schedule. */
  schedule: string | null;
  /** JSON: the retry settings of its syncs through Temporal (server/connections/sync-policy.ts), null = defaults. */
  retry: string | null;
  /** JSON: the timeouts of its syncs through Temporal, null = defaults. */
  timeouts: string | null;
  paused: number;
  next_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface RunTable {
  id: Generated<number>;
  connection_id: number;
  /** "manual", "schedule" or "cli". */
  trigger: string;
  /** "queued", "running", "succeeded", "failed" or "cancelled". */
  status: string;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Who runs it: "<pid>@<host>" of the server or CLI process, so a dead owner's runs can be closed. */
  owner: string;
  /** The engine's sync log entry (`_sluice_syncs.id` of the destination). */
  sync_id: number | null;
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  duration_ms: number | null;
  records_per_second: number | null;
  error: string | null;
  /** The connector's last stderr lines when the run failed. */
  stderr_tail: string | null;
  /** JSON array of the run's log entries (the last ones, bounded). */
  log: string | null;
}

export interface MetadataSchema {
  _sluice_tokens: TokenTable;
  _sluice_sessions: SessionTable;
  _sluice_connections: ConnectionTable;
  _sluice_runs: RunTable;
}
