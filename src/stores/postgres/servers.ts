/**
 * libpq's list of servers in one URL (`postgres://user@db1:5432,db2:5432/app?target_session_attrs=read-write`),
 * the way a high-availability cluster without a single address (Patroni, repmgr, a primary and its
 * standbys) is named: each server is tried in turn, or in a random order with `load_balance_hosts=random`,
 * and the first that connects and is of the kind `target_session_attrs` asks for is used
 * (also read from PGHOST, PGTARGETSESSIONATTRS and PGLOADBALANCEHOSTS, as libpq reads them). What writes (a store,
 * the server's metadata) always wants a server that takes writes. The URL is first filled in from
 * the libpq service it names, if any (service-file.ts). Connecting is connection.ts's.
 */
import type pg from "pg";
import { StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";
import { serviceSettings } from "./service-file.js";
import { joinQuery, splitQuery } from "./url-query.js";

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
  return splitQuery(url).query.get(name) ?? (process.env[variable] || undefined);
}

/** Each server `target` names, the kind of server wanted, and the order to try them in. */
export function serverList(given: PostgresTarget, options: { writes?: boolean } = {}): ServerList {
  const target = withService(given);
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
  const urls = split(target, target.url);
  const displays = split(target, target.display);
  const servers = urls.map((url, index) => ({ url, display: displays[index] ?? target.display }));
  if (balance === "random") shuffle(servers);
  // Writing needs a server that takes writes; a list is searched for one, as "any" would stop at the first.
  const wanted = options.writes && kind === "any" ? "read-write" : kind;
  return { servers, passes: wanted === "prefer-standby" ? ["standby", "any"] : [wanted], asked };
}

/**
 * The URL with what the service it names (`service=`, else PGSERVICE) gives added where the URL says
 * nothing, as libpq reads it: the URL's own parts win, the service's win over the PG* variables.
 */
function withService(target: PostgresTarget): PostgresTarget {
  const name = setting(target.url, "service", "PGSERVICE");
  if (name === undefined) return target;
  const settings = serviceSettings(name, target.display);
  return { url: filledIn(target.url, settings, true), display: filledIn(target.display, settings, false) };
}

/** `url` with the service's `settings` where it has none of its own (the passwords only `withPassword`). */
function filledIn(url: string, settings: Map<string, string>, withPassword: boolean): string {
  const parts = AUTHORITY.exec(url);
  if (!parts) return url;
  const [, scheme, user = "", hosts = "", rest = ""] = parts;
  const { base, query: params } = splitQuery(rest);
  let path = base;
  params.delete("service");
  for (const [keyword, value] of settings) {
    if (keyword === "dbname") {
      if (path === "" || path === "/") path = `/${encodeURIComponent(value)}`;
    } else if (keyword === "password") {
      if (withPassword && !user.includes(":") && !params.has(keyword)) params.set(keyword, value);
    } else if (keyword === "sslpassword") {
      if (withPassword && !params.has(keyword)) params.set(keyword, value);
    } else if (keyword === "user") {
      if (user === "" && !params.has(keyword)) params.set(keyword, value);
    } else if (keyword === "host" || keyword === "hostaddr") {
      if (hosts === "" && !params.has(keyword)) params.set(keyword, value);
    } else if (keyword === "port") {
      if (!hasPort(hosts) && !params.has(keyword)) params.set(keyword, value);
    } else if (!params.has(keyword)) params.set(keyword, value);
  }
  return `${scheme}${user}${hosts}${joinQuery(path, params)}`;
}

/** Whether the hosts of a URL's authority (`db1:5432,[::1]`) give a port. */
function hasPort(hosts: string): boolean {
  return hosts.split(",").some((host) => host.replace(/^\[[^\]]*\]/, "").includes(":"));
}

/**
 * A URL naming several servers as one URL per server (each keeps the user, the database and the
 * rest of the query), as libpq names them: in the authority (`db1:5432,db2`), in the query
 * (`?host=db1,/run/postgresql&port=5432,5433`), or, for a URL naming no host, in PGHOST (with
 * PGPORT: one port for all, or one per server). libpq's `hostaddr` (and PGHOSTADDR), which the
 * driver does not read, stands for the host where no host is named.
 */
function split(target: PostgresTarget, url: string): string[] {
  const parts = AUTHORITY.exec(url);
  if (!parts) return [url];
  const [, scheme, user = "", authorityHosts = "", rest = ""] = parts;
  const { base: path, query: params } = splitQuery(rest);
  const base = `${scheme}${user}${path}`;
  const address = addressToConnect(target, params, authorityHosts !== "" || params.has("host"));
  if (address !== undefined) {
    params.delete("hostaddr");
    return eachServer(target, base, params, address);
  }
  const queryHosts = params.get("host");
  if (queryHosts?.includes(",")) return eachServer(target, base, params, queryHosts);
  if (authorityHosts.includes(",")) return authorityHosts.split(",").map((host) => `${scheme}${user}${host}${rest}`);
  const environment = authorityHosts === "" && queryHosts === null ? process.env.PGHOST : undefined;
  if (environment?.includes(",")) return eachServer(target, base, params, environment);
  return [url];
}

/**
 * libpq's `hostaddr` (or PGHOSTADDR), the address to connect to, where the URL names no host: the
 * driver does not read it, and would connect to PGHOST or localhost instead. Beside a host name
 * (which libpq keeps for TLS and the password file) it is refused, as Sluice connects by the one it is given.
 */
function addressToConnect(target: PostgresTarget, params: URLSearchParams, named: boolean): string | undefined {
  const given = params.get("hostaddr");
  if (given !== null && named)
    throw new StoreLocationError(
      `store ${target.display}: hostaddr= beside a host name: Sluice connects by the one it is given; ` +
        "give the address as the host (host=<address>, or in the URL's authority), or leave hostaddr out",
    );
  if (given !== null) return given;
  const fromEnvironment = named ? undefined : process.env.PGHOSTADDR || undefined;
  if (fromEnvironment && process.env.PGHOST)
    throw new StoreLocationError(
      `store ${target.display}: both PGHOST and PGHOSTADDR are set: Sluice connects by the one it is given; unset one of them`,
    );
  return fromEnvironment;
}

/**
 * One URL per server of `hosts` (comma-separated), each naming it in the query, with its port: the
 * query's `port`, or else PGPORT, gives one port for all or one per server.
 */
function eachServer(target: PostgresTarget, base: string, params: URLSearchParams, hosts: string): string[] {
  const hostList = hosts.split(",");
  const ports = params.get("port") ?? process.env.PGPORT ?? "";
  const portList = ports === "" ? [] : ports.split(",");
  if (portList.length > 1 && portList.length !== hostList.length)
    throw new StoreLocationError(
      `store ${target.display}: ${portList.length} ports for ${hostList.length} servers: give one port for all, or one per server`,
    );
  return hostList.map((host, index) => {
    const own = new URLSearchParams(params);
    own.set("host", host);
    const port = portList.length === 1 ? portList[0] : portList[index];
    if (port) own.set("port", port);
    else own.delete("port");
    return `${base}?${own}`;
  });
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
