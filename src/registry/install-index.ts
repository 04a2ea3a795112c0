/**
 * The index of installations: one row per installed name in
 * `$SLUICE_HOME/registry.db` (embedded SQLite). The row names the release
 * folder in use, so switching to a new release — the last step of an install
 * or update — is one atomic UPDATE: a reader sees the old release or the new,
 * never a half-built one.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type ConnectorProtocol, isConnectorProtocol } from "../drivers/protocols.js";
import { createPrivateFile } from "../files.js";
import type { Manifest } from "./manifest.js";

export type InstallStatus = "installed" | "install failed" | "update failed";

export interface Installation {
  name: string;
  manifest: Manifest;
  /** Where the manifest was read from (a path, a URL, "stdin"). */
  origin: string;
  /** The release folder in use; undefined when no install has succeeded yet. */
  release?: string;
  /** VCS: the commit; HTTP: the manifest's version or the download's digest; Local: the manifest's version. */
  version?: string;
  status: InstallStatus;
  /** When the release in use was installed. */
  installedAt?: string;
  /** The last install or update attempt, its error (if it failed) and its log. */
  attemptedAt: string;
  error?: string;
  log?: string;
  /** The protocol it speaks: declared in the manifest, or detected at install; undefined when neither. */
  protocol?: ConnectorProtocol;
}

interface Row {
  name: string;
  manifest: string;
  origin: string;
  release: string | null;
  version: string | null;
  status: InstallStatus;
  installed_at: string | null;
  attempted_at: string;
  error: string | null;
  log: string | null;
  protocol: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS installations (
  name TEXT PRIMARY KEY,
  manifest TEXT NOT NULL,
  origin TEXT NOT NULL,
  release TEXT,
  version TEXT,
  status TEXT NOT NULL,
  installed_at TEXT,
  attempted_at TEXT NOT NULL,
  error TEXT,
  log TEXT,
  protocol TEXT
);`;

export class InstallIndex {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string): InstallIndex {
    // $SLUICE_HOME holds the index, install logs and the key that seals configs: its owner's alone.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivateFile(file);
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    db.exec(SCHEMA);
    const columns = db.prepare("PRAGMA table_info(installations)").all() as { name: string }[];
    if (!columns.some((column) => column.name === "protocol"))
      db.exec("ALTER TABLE installations ADD COLUMN protocol TEXT"); // an index from before protocols were recorded
    return new InstallIndex(db);
  }

  get(name: string): Installation | undefined {
    const row = this.db.prepare("SELECT * FROM installations WHERE name = ?").get(name) as Row | undefined;
    return row && fromRow(row);
  }

  list(): Installation[] {
    return (this.db.prepare("SELECT * FROM installations ORDER BY name").all() as Row[]).map(fromRow);
  }

  /** The swap: from now on `name` runs from `release`. */
  recordSuccess(entry: {
    name: string;
    manifest: Manifest;
    origin: string;
    release: string;
    version?: string;
    log: string;
    protocol?: ConnectorProtocol;
  }): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO installations (name, manifest, origin, release, version, status, installed_at, attempted_at, error, log, protocol)
         VALUES (@name, @manifest, @origin, @release, @version, 'installed', @now, @now, NULL, @log, @protocol)
         ON CONFLICT (name) DO UPDATE SET manifest = excluded.manifest, origin = excluded.origin, release = excluded.release,
           version = excluded.version, status = 'installed', installed_at = excluded.installed_at,
           attempted_at = excluded.attempted_at, error = NULL, log = excluded.log, protocol = excluded.protocol`,
      )
      .run({
        ...entry,
        manifest: JSON.stringify(entry.manifest),
        version: entry.version ?? null,
        protocol: entry.protocol ?? null,
        now,
      });
  }

  /** A failed first install is remembered (for `show`); a failed update keeps the release in use. */
  recordFailure(entry: { name: string; manifest: Manifest; origin: string; error: string; log: string }): void {
    const now = new Date().toISOString();
    const existing = this.get(entry.name);
    if (existing?.release) {
      this.db
        .prepare(
          "UPDATE installations SET status = 'update failed', attempted_at = ?, error = ?, log = ? WHERE name = ?",
        )
        .run(now, entry.error, entry.log, entry.name);
      return;
    }
    this.db
      .prepare(
        `INSERT OR REPLACE INTO installations (name, manifest, origin, release, version, status, installed_at, attempted_at, error, log)
         VALUES (?, ?, ?, NULL, NULL, 'install failed', NULL, ?, ?, ?)`,
      )
      .run(entry.name, JSON.stringify(entry.manifest), entry.origin, now, entry.error, entry.log);
  }

  delete(name: string): void {
    this.db.prepare("DELETE FROM installations WHERE name = ?").run(name);
  }

  close(): void {
    this.db.close();
  }
}

function fromRow(row: Row): Installation {
  return {
    name: row.name,
    manifest: JSON.parse(row.manifest) as Manifest,
    origin: row.origin,
    release: row.release ?? undefined,
    version: row.version ?? undefined,
    status: row.status,
    installedAt: row.installed_at ?? undefined,
    attemptedAt: row.attempted_at,
    error: row.error ?? undefined,
    log: row.log ?? undefined,
    protocol: row.protocol && isConnectorProtocol(row.protocol) ? row.protocol : undefined,
  };
}
