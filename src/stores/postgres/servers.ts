/**
 * libpq's list of servers in one URL (`postgres://user@db1:5432,db2:5432/app?target_session_attrs=read-write`),
 * the way a high-availability cluster without a single address (Patroni, repmgr, a primary and its
 * standbys) is named: each server is tried in turn, or in a random order with `load_balance_hosts=random`,
 * and the first that connects and is of the kind `target_session_attrs` asks for is used
 * (also read from PGHOST, PGTARGETSESSIONATTRS and PGLOADBALANCEHOSTS, as libpq reads them). What writes (a store,
 * the server's metadata) always wants a server that takes writes. Connecting is connection.ts's.
 */
import type pg from "pg";
import { StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";

/** libpq's target_session_attrs: which kind of server a connection wants. */
export const SESSION_KINDS = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];
/** A kind one pass over the list looks for (prefer-standby is two passes: a standby, then any). */
export type PassKind = Exclude<SessionKind, "prefer-standby">;

export interface ServerList {
  /** One target per server, each a URL naming that server alone, in the order they are tried. */
  servers: PostgresTarget[];
  /** The kind of server wanted: each pass of the list takes the first of its kind (prefer-standby: a standby, then any). */
  passes: PassKind[];
  /** The URL's setting, as given, for messages. */
  asked: string;
}

/** The authority of a PostgreSQL URL: scheme, user (with its password, if any) and the list of host[:port]. */
const AUTHORITY = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/s;

/** The URL's query parameter `name`, or else libpq's environment variable for it. */
function setting(url: string, name: string, variable: string): string | undefined {
  const query = new URLSearchParams(url.split("?")[1] ?? "");
  return query.get(name) ?? (process.env[variable] || undefined);
}

/** Each server `target` names, the kind of server wanted, and the order to try them in. */
export function serverList(target: PostgresTarget, options: { writes?: boolean } = {}): ServerList {
  const asked = setting(target.url, "target_session_attrs", "PGTARGETSESSIONATTRS") ?? "any";
  if (!(SESSION_KINDS as readonly string[]).includes(asked))
    throw new StoreLocationError(
      `store ${target.display}: target_session_attrs=${asked}: give one of ${SESSION_KINDS.join(", ")}`,
    );
  const kind = asked as SessionKind;
  if (options.writes && ["read-only", "standby", "prefer-standby"].includes(kind))
    throw new StoreLocationError(
      `store ${target.display}: target_session_attrs=${kind} asks for a server that takes no writes, and Sluice writes here: ` +
        "give read-write or primary, or leave it out",
    );
  const balance = setting(target.url, "load_balance_hosts", "PGLOADBALANCEHOSTS") ?? "disable";
  if (balance !== "disable" && balance !== "random")
    throw new StoreLocationError(`store ${target.display}: load_balance_hosts=${balance}: give disable or random`);
  const urls = split(target.url);
  const displays = split(target.display);
  const servers = urls.map((url, index) => ({ url, display: displays[index] ?? target.display }));
  if (balance === "random") shuffle(servers);
  // Writing needs a server that takes writes; a list is searched for one, as "any" would stop at the first.
  const wanted = options.writes && kind === "any" ? "read-write" : kind;
  return { servers, passes: wanted === "prefer-standby" ? ["standby", "any"] : [wanted], asked };
}

/**
 * A URL naming several servers as one URL per server (each keeps the user, the database and the
 * query). A URL naming no host takes libpq's PGHOST, which may list servers too (PGPORT then gives
 * one port for all, or one per server); socket folders in it are left to the driver.
 */
function split(url: string): string[] {
  const parts = AUTHORITY.exec(url);
  if (!parts) return [url];
  const [, scheme, user = "", hosts = "", rest] = parts;
  const listed = hosts !== "" ? hosts : environmentHosts();
  if (!listed.includes(",")) return [url];
  return listed.split(",").map((host) => `${scheme}${user}${host}${rest}`);
}

/** PGHOST's servers as host:port, where it lists several TCP hosts; "" otherwise. */
function environmentHosts(): string {
  const hosts = process.env.PGHOST?.split(",") ?? [];
  if (hosts.length < 2 || hosts.some((host) => host === "" || host.startsWith("/"))) return "";
  const ports = process.env.PGPORT?.split(",") ?? [];
  const portOf = (index: number) => (ports.length === hosts.length ? ports[index] : ports.length === 1 ? ports[0] : "");
  return hosts
    .map((host, index) => {
      const name = host.includes(":") ? `[${host}]` : host;
      const port = portOf(index);
      return port ? `${name}:${port}` : name;
    })
    .join(",");
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Why the server `client` reaches is not of the kind wanted, in words; undefined when it is, or when any will do. */
export async function sessionMismatch(client: pg.Client, kind: PassKind, asked: string): Promise<string | undefined> {
  if (kind === "any") return undefined;
  const [server] = (
    await client.query<{ standby: boolean; read_only: string }>(
      "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only",
    )
  ).rows;
  const standby = server?.standby === true;
  const readOnly = standby || server?.read_only === "on";
  const fits =
    kind === "read-write" ? !readOnly : kind === "read-only" ? readOnly : kind === "primary" ? !standby : standby;
  if (fits) return undefined;
  const what = standby
    ? "the server is a standby (in recovery)"
    : readOnly
      ? "the server's sessions are read-only (default_transaction_read_only)"
      : "the server is a primary that takes writes";
  const why =
    asked === "any" ? "and takes no writes" : `and target_session_attrs=${asked} asks for ${WANTED_WORDS[kind]}`;
  return `${what} ${why}`;
}

const WANTED_WORDS: Record<Exclude<PassKind, "any">, string> = {
  "read-write": "one that takes writes",
  "read-only": "one whose sessions are read-only",
  primary: "a primary",
  standby: "a standby",
};
