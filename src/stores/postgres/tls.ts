/**
 * libpq's TLS settings as the driver's `ssl` options: sslmode and the files and limits it uses, each
 * from a URL's query or else its PG* variable, and the ways sslmode tries in turn. The driver
 * (pg-connection-string) reads the mode and the certificate files; what it reads otherwise or not
 * at all is read here. settings.ts reads the rest of the URL with it.
 */
import { existsSync, readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConnectionOptions, SecureVersion } from "node:tls";
import type pg from "pg";
import { StoreError, StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";

/** The driver's `ssl`: false for none, true or options for TLS. */
export type Ssl = pg.ClientConfig["ssl"];

/** libpq's TLS settings: a URL's query parameter, or else its environment variable. */
const TLS_SETTINGS = [
  ["sslmode", "PGSSLMODE"],
  ["sslrootcert", "PGSSLROOTCERT"],
  ["sslcert", "PGSSLCERT"],
  ["sslkey", "PGSSLKEY"],
  ["sslcrl", "PGSSLCRL"],
  ["sslcrldir", "PGSSLCRLDIR"],
  ["sslcertmode", "PGSSLCERTMODE"],
  ["ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"],
  ["ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"],
] as const;

/**
 * Fills in the TLS settings the URL's query leaves out from their PG* variables (and libpq's files
 * in ~/.postgresql), and refuses, before any connection, what libpq refuses: sslrootcert=system or
 * sslnegotiation=direct beside too weak a mode, verify-ca without an authority, a client key others
 * can read, and sslcertmode values it cannot keep.
 */
export function readTlsQuery(target: PostgresTarget, query: URLSearchParams): void {
  for (const [name, variable] of TLS_SETTINGS) {
    const value = process.env[variable];
    if (value && !query.has(name)) query.set(name, value);
  }
  useDefaultFiles(query);
  useSystemAuthorities(target, query);
  refuseWeakDirectTls(target, query);
  if (query.get("sslmode") === "verify-ca" && !query.has("sslrootcert"))
    throw new StoreError(
      target.display,
      "sslmode=verify-ca checks the server's certificate against the authority you name: give its certificate " +
        "with sslrootcert=<file> in the URL or PGSSLROOTCERT, or use sslmode=verify-full",
      undefined,
      "STORE_TLS_FAILED",
    );
  refuseReadableKey(target, query.get("sslkey"));
  const certificateMode = query.get("sslcertmode");
  if (certificateMode === "require")
    throw new StoreLocationError(
      `store ${target.display}: sslcertmode=require (URL or PGSSLCERTMODE): Sluice cannot tell whether the server asked ` +
        "for the client certificate; leave it out (sslcert's certificate is still sent when the server asks for it)",
    );
  if (certificateMode !== null && certificateMode !== "allow" && certificateMode !== "disable")
    throw new StoreLocationError(
      `store ${target.display}: sslcertmode=${certificateMode} (URL or PGSSLCERTMODE): give allow or disable`,
    );
}

/**
 * libpq's files in ~/.postgresql, where the URL and the variables name none, for a connection that
 * may use TLS: the client certificate `postgresql.crt` with its key `postgresql.key`, the
 * authorities `root.crt` (with which sslmode=require checks the server's certificate, as verify-ca
 * does) and the revocation list `root.crl`. A URL saying no sslmode keeps its unencrypted first try
 * (sslmode=allow, see tlsTries), which naming a file would otherwise turn into checked TLS.
 */
function useDefaultFiles(query: URLSearchParams): void {
  const mode = query.get("sslmode");
  if (mode === "disable" || query.has("uselibpqcompat")) return;
  const folder = join(homedir(), ".postgresql");
  const present = (file: string) => existsSync(join(folder, file));
  const named = ["sslcert", "sslkey", "sslrootcert"].some((name) => query.has(name));
  const defaults: [string, string | undefined][] = [
    ["sslcert", present("postgresql.crt") ? "postgresql.crt" : undefined],
    ["sslkey", present("postgresql.crt") ? "postgresql.key" : undefined],
    ["sslrootcert", present("root.crt") ? "root.crt" : undefined],
    ["sslcrl", present("root.crl") && !query.has("sslcrldir") ? "root.crl" : undefined],
  ];
  const used = defaults.filter(([name, file]) => file !== undefined && !query.has(name));
  if (used.length === 0) return;
  if (mode === null && !named) query.set("sslmode", "allow");
  for (const [name, file] of used) query.set(name, join(folder, file!));
}

/**
 * A client key others may read is refused, as libpq refuses it: at most 0600 where the key is the
 * user's own, 0640 where root owns it. A missing file is left to the driver, which names it.
 */
function refuseReadableKey(target: PostgresTarget, file: string | null): void {
  if (!file) return;
  let status: Stats;
  try {
    status = statSync(file);
  } catch {
    return;
  }
  const own = status.uid === process.geteuid?.();
  const tooOpen = own ? (status.mode & 0o077) !== 0 : status.uid === 0 && (status.mode & 0o037) !== 0;
  if (tooOpen)
    throw new StoreError(
      target.display,
      `the private key ${file} (sslkey or PGSSLKEY) can be read by other users: chmod 600 ${file}`,
      undefined,
      "STORE_TLS_FAILED",
    );
}

/**
 * libpq's `sslrootcert=system` (libpq 16; in the URL or PGSSLROOTCERT): the certificate authorities
 * the system trusts (here, Node's, with NODE_EXTRA_CA_CERTS), which the driver would read as a file
 * named "system". As in libpq it means sslmode=verify-full, and refuses a weaker mode.
 */
function useSystemAuthorities(target: PostgresTarget, query: URLSearchParams): void {
  if (query.get("sslrootcert") !== "system") return;
  const mode = query.get("sslmode");
  if (mode !== null && mode !== "verify-full")
    throw new StoreLocationError(
      `store ${target.display}: sslrootcert=system trusts the system's certificate authorities, which libpq allows ` +
        `with sslmode=verify-full only (sslmode=${mode} given): give sslmode=verify-full, or leave sslmode out`,
    );
  query.delete("sslrootcert");
  query.set("sslmode", "verify-full");
}

/**
 * libpq 17's `sslnegotiation=direct` (URL or PGSSLNEGOTIATION) starts TLS at once, without asking the
 * server first; libpq allows it with a mode that insists on TLS only. The driver would otherwise
 * fail without naming the URL (no sslmode) or check the certificate fully (prefer, allow).
 */
function refuseWeakDirectTls(target: PostgresTarget, query: URLSearchParams): void {
  if ((query.get("sslnegotiation") ?? process.env.PGSSLNEGOTIATION) !== "direct") return;
  const mode = query.get("sslmode");
  if (mode === "require" || mode === "verify-ca" || mode === "verify-full") return;
  throw new StoreLocationError(
    `store ${target.display}: sslnegotiation=direct (URL or PGSSLNEGOTIATION) starts TLS at once, which libpq allows ` +
      `with sslmode=require, verify-ca or verify-full only (${mode === null ? "no sslmode" : `sslmode=${mode}`} given)`,
  );
}

/**
 * The TLS choices a connection tries in turn, as libpq's sslmode says: `prefer` encrypts (without
 * checking the certificate) and, where the server offers no TLS, connects again unencrypted; `allow`,
 * and a URL and PGSSLMODE saying nothing, connect unencrypted and, where the server takes only
 * encrypted connections (pg_hba.conf's hostssl), again with TLS. (libpq's default is prefer; a
 * plain first try keeps a server that offers TLS without asking for it unencrypted.) The other
 * modes have one choice; so has prefer with channel_binding=require, which a plain connection
 * cannot honour, and a URL left to the driver's own reading (uselibpqcompat). `configured` is the
 * driver's reading of the mode and files; every choice with TLS gets the URL's other TLS settings.
 */
export function tlsTries(target: PostgresTarget, query: URLSearchParams, configured: Ssl): Ssl[] {
  if (query.has("uselibpqcompat")) return [configured];
  const options = tlsOptions(target, query);
  const completed = (ssl: Ssl): Ssl => (ssl ? { ...(ssl === true ? {} : ssl), ...options } : ssl);
  const unchecked = completed({ ...(typeof configured === "object" ? configured : {}), rejectUnauthorized: false });
  if (query.get("sslcertmode") === "disable") for (const ssl of [configured, unchecked]) withoutClientCertificate(ssl);
  const mode = query.get("sslmode");
  if (mode === "allow" || (mode === null && !configured)) return [false, unchecked];
  const bound = (query.get("channel_binding") ?? process.env.PGCHANNELBINDING) === "require";
  if (mode === "prefer" && !bound) return [completed(configured), false];
  return [completed(configured)];
}

/** sslcertmode=disable: no client certificate is sent, even where sslcert names one. */
function withoutClientCertificate(ssl: Ssl): void {
  if (typeof ssl !== "object") return;
  delete ssl.cert;
  delete ssl.key;
}

/** What Node's TLS calls libpq's protocol versions. */
const PROTOCOL_VERSIONS: Record<string, SecureVersion> = {
  tlsv1: "TLSv1",
  "tlsv1.1": "TLSv1.1",
  "tlsv1.2": "TLSv1.2",
  "tlsv1.3": "TLSv1.3",
};

/**
 * The TLS settings the driver does not read: revoked certificates (`sslcrl`, a file of CRLs, and
 * `sslcrldir`, a folder of them), the protocol versions allowed (`ssl_min_protocol_version`,
 * `ssl_max_protocol_version`) and the passphrase of an encrypted client key (`sslpassword`). Read
 * files fail with their path, which settings.ts reports as a TLS setting's file.
 */
function tlsOptions(target: PostgresTarget, query: URLSearchParams): ConnectionOptions {
  const options: ConnectionOptions = {};
  const revoked: string[] = [];
  const list = query.get("sslcrl");
  if (list) revoked.push(readFileSync(list, "utf8"));
  const folder = query.get("sslcrldir");
  if (folder)
    for (const entry of readdirSync(folder, { withFileTypes: true }))
      if (entry.isFile()) revoked.push(readFileSync(join(folder, entry.name), "utf8"));
  if (revoked.length) options.crl = revoked;
  const lowest = protocolVersion(target, query, "ssl_min_protocol_version");
  const highest = protocolVersion(target, query, "ssl_max_protocol_version");
  if (lowest) options.minVersion = lowest;
  if (highest) options.maxVersion = highest;
  const passphrase = query.get("sslpassword");
  if (passphrase !== null) options.passphrase = passphrase;
  return options;
}

function protocolVersion(target: PostgresTarget, query: URLSearchParams, name: string): SecureVersion | undefined {
  const given = query.get(name);
  if (given === null || given === "") return undefined;
  const version = PROTOCOL_VERSIONS[given.toLowerCase()];
  if (!version)
    throw new StoreLocationError(
      `store ${target.display}: ${name}=${given} (URL or its PG* variable): give TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3`,
    );
  return version;
}

/** The server refused a connection for its encryption: no TLS offered, or only encrypted connections taken. */
const REFUSED_FOR_TLS = /does not support SSL|error establishing an SSL connection/i;
const PLAIN_REFUSED_CODE = "28000";

/**
 * The choice of `tries` to connect with again after `tried` failed with `error`: the other one,
 * where the server refused this one for its encryption; else undefined.
 */
export function secondTry(tries: Ssl[], tried: Ssl, error: unknown): Ssl | undefined {
  const { code, message = "" } = (error ?? {}) as { code?: string; message?: string };
  const other = tries.find((ssl) => Boolean(ssl) !== Boolean(tried));
  if (tries.length < 2 || other === undefined) return undefined;
  const refused = tried ? REFUSED_FOR_TLS.test(message) : code === PLAIN_REFUSED_CODE;
  return refused ? other : undefined;
}
