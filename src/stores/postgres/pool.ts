/**
 * A pool for what keeps its own tables beside the store's (the server's
 * metadata, its data browser), with the store's types and its connections
 * made as connection.ts makes them. Its users name the schema in every
 * statement and set nothing for the session: a pooler in transaction mode
 * (PgBouncer, a hosted database's pooled port) runs each transaction on any
 * server connection, and refuses or drops startup options such as a
 * search_path. Over a URL listing a cluster's servers (servers.ts), the
 * pool's connections follow the cluster's failovers to the server that takes
 * writes. Connection failures surface on the first query; connect with
 * connectPostgres first for an error that names the server.
 */
import pg from "pg";
import { StoreError } from "../types.js";
import {
  type ConnectOptions,
  connectListed,
  describeServer,
  type PostgresTarget,
  stoppedTakingWrites,
  TYPES,
  watchConnection,
} from "./connection.js";
import { guardAuthentication } from "./require-auth.js";
import { type ServerList, serverList, sessionMismatch } from "./servers.js";
import { clientSettings } from "./settings.js";

type PoolOptions = { applicationName?: string; max?: number; writes?: boolean; server?: PostgresTarget };

export function postgresPool(target: PostgresTarget, options: PoolOptions): pg.Pool {
  const settings = {
    // Sluice's name where the URL and PGAPPNAME give none, as libpq's fallback_application_name is.
    fallback_application_name: options.applicationName ?? "sluice",
    max: options.max ?? 4,
    types: TYPES,
  };
  const list = serverList(target, options);
  if (list.servers.length === 1 && list.passes[0] === "any") {
    const server = list.servers[0]!;
    return watched(new pg.Pool({ ...settings, ...clientSettings(server), Client: guardedClient(server) }));
  }
  const lent = new WeakSet<pg.Client>();
  const Client = listedServerClient(target, list, settings, options, (client) => lent.has(client));
  const pool = watched(new pg.Pool({ ...settings, Client }));
  pool.on("acquire", (client) => lent.add(client));
  pool.on("release", (_error, client) => lent.delete(client));
  return pool;
}

/** A client class whose connections keep the URL's require_auth (require-auth.ts). */
function guardedClient(server: PostgresTarget): new () => pg.Client {
  return class GuardedClient extends pg.Client {
    // The pool hands each client its settings, which its types leave out.
    constructor(config?: pg.ClientConfig) {
      super(config);
      guardAuthentication(this, server);
    }
  };
}

/** Connections to a server the cluster's failover left behind, dropped as they come back to the pool. */
const retired = new WeakSet<pg.Client>();

function watched(pool: pg.Pool): pg.Pool {
  // An idle client whose server went away emits 'error' on the pool; the next query fails with it.
  pool.on("error", () => {});
  pool.on("connect", watchConnection);
  // Ended as it comes back, the pool drops it rather than lend it again (see watchConnection).
  pool.on("release", (_error, client) => {
    if (stoppedTakingWrites(client) || retired.has(client)) client.end().catch(() => {});
  });
  return pool;
}

/**
 * For a pool over a list of servers: a client class whose connections go to the server the last
 * search found (first `options.server`, the one the caller reached). One that fails to connect there,
 * or finds it no longer of the kind wanted (a failover demoted it), fails as the server being out of
 * reach and starts a new search; so does one whose server stops taking writes under it (the pool then
 * drops it). A search that finds another server retires the connections to the old one: those idle
 * at once, those lent out as they come back, so that no read comes from a server left behind.
 */
function listedServerClient(
  target: PostgresTarget,
  list: ServerList,
  settings: pg.ClientConfig,
  options: ConnectOptions & { server?: PostgresTarget },
  isLent: (client: pg.Client) => boolean,
): new () => pg.Client {
  let current = options.server ?? list.servers[0]!;
  const connected = new Set<ListedServerClient>();
  let searching = false;
  const searchAgain = () => {
    if (searching) return;
    searching = true;
    connectListed(target, options)
      .then(({ client, server }) => {
        current = server;
        for (const left of connected) if (left.server.url !== current.url) retire(left);
        return client.end();
      })
      .catch(() => {}) // still none: the next connection's failure searches again
      .finally(() => {
        searching = false;
      });
  };
  const retire = (client: ListedServerClient) => {
    retired.add(client);
    // An idle client's error makes the pool drop it (and end it); one lent out goes as it comes back.
    if (!isLent(client))
      client.emit(
        "error",
        new StoreError(
          client.server.display,
          "the cluster failed over to another server",
          undefined,
          "STORE_UNREACHABLE",
        ),
      );
  };

  class ListedServerClient extends pg.Client {
    readonly server = current;

    constructor() {
      super({ ...settings, ...clientSettings(current) });
      guardAuthentication(this, this.server);
      this.once("end", () => {
        connected.delete(this);
        // Dropped because its server stopped taking writes (see watched): the cluster failed over.
        if (stoppedTakingWrites(this)) searchAgain();
      });
    }

    // pg's pool connects a client with a callback; anything else awaits the promise.
    override connect(): Promise<pg.Client>;
    override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
    override connect(callback?: (error: Error | null, client?: pg.Client) => void): Promise<pg.Client> | undefined {
      const checked = this.connectChecked();
      if (!callback) return checked;
      checked.then((client) => callback(null, client), callback);
      return undefined;
    }

    private async connectChecked(): Promise<pg.Client> {
      try {
        await super.connect();
        const mismatch = await sessionMismatch(this, list.passes.at(-1)!, list.asked);
        if (mismatch === undefined) {
          connected.add(this);
          return this;
        }
        await this.end().catch(() => {});
        throw new StoreError(
          this.server.display,
          `${describeServer(this)}: ${mismatch}`,
          undefined,
          "STORE_UNREACHABLE",
        );
      } catch (error) {
        searchAgain();
        throw error;
      }
    }
  }
  return ListedServerClient;
}
