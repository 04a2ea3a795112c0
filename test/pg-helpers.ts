/**
 * The real PostgreSQL server of the tests (started by scripts/setup-postgres.sh):
 * each test file creates its own databases as the non-superuser role
 * sluice_test and drops them afterwards. The password reaches Sluice through
 * PGPASSWORD, the documented way.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { freePort } from "./helpers.js";
import { makeCertificates } from "./tls-helpers.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const PG_PORT = Number(process.env.SLUICE_TEST_PGPORT ?? 5432);
export const PG_ROLE = { user: "sluice_test", password: "sluice_test" };
export const PG_LIMITED_ROLE = { user: "sluice_limited", password: "sluice_limited" };

process.env.PGPASSWORD = PG_ROLE.password;

export function pgUrl(database: string, user = PG_ROLE.user): string {
  return `postgres://${user}@127.0.0.1:${PG_PORT}/${database}`;
}

export async function pgClient(database: string, role = PG_ROLE): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port: PG_PORT, database, ...role });
  await client.connect();
  return client;
}

/** A fresh database owned by sluice_test, dropped when the test (or suite) ends. */
export async function createDatabase(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const name = `sluice_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = await pgClient("postgres");
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  t.after(() => dropDatabase(name));
  return name;
}

/**
 * DROP DATABASE … WITH (FORCE), tried again for a few seconds while it is refused with 42501: PostgreSQL 15
 * refuses to end an autovacuum worker busy in the database (no role of ours owns it), and the worker soon ends.
 */
async function dropDatabase(name: string): Promise<void> {
  const dropper = await pgClient("postgres");
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "42501" || attempt === 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await dropper.end();
  }
}

/** Rows of a query in a database, as plain objects. */
export async function pgQuery<T = Record<string, unknown>>(
  database: string,
  sql: string,
  values?: unknown[],
): Promise<T[]> {
  const client = await pgClient(database);
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A PgBouncer in transaction mode in front of the test server, as a hosted database's pooled port is:
 * `poolSize` server connections shared by all its clients, each transaction run on whichever is free.
 * Its config as in a default install; stopped after the test. Returns its port. (scripts/setup-postgres.sh
 * installs pgbouncer; it refuses to run as root, so it runs as postgres then.)
 */
export async function startPgBouncer(t: { after(fn: () => void): void }, poolSize: number): Promise<number> {
  const asRoot = process.getuid?.() === 0;
  // Run as postgres, it must reach its files: the test run's own TMPDIR is private to root.
  const dir = mkdtempSync(join(asRoot ? "/tmp" : tmpdir(), "sluice-pgbouncer-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  // The test role's password, for this local test server only.
  writeFileSync(join(dir, "users.txt"), `"${PG_ROLE.user}" "${PG_ROLE.password}"\n`, { mode: 0o644 });
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=127.0.0.1 port=${PG_PORT}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = scram-sha-256",
      `auth_file = ${join(dir, "users.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const config = join(dir, "pgbouncer.ini");
  const command = asRoot ? ["runuser", "-u", "postgres", "--", "pgbouncer", config] : ["pgbouncer", config];
  // A group of its own, so that runuser and the pgbouncer it starts end together.
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let output = "";
  child.stderr.on("data", (data) => (output += data));
  t.after(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // ended already
    }
    child.stderr.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break;
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (listening) return port;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pgbouncer did not start listening on 127.0.0.1:${port}:\n${output}`);
}

/**
 * A TCP relay in front of the test server, to take PostgreSQL away from one client without stopping
 * it for the other tests: cut() ends every connection through it and stops listening (new ones are
 * refused, as by a server that went down), restore() listens on the same port again. Closed after the test.
 */
export async function relayToPostgres(t: {
  after(fn: () => Promise<void>): void;
}): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
  const open = new Set<Socket>();
  const relay = createServer((client) => {
    const server = connect(PG_PORT, "127.0.0.1");
    for (const socket of [client, server]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(server).pipe(client);
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => relay.listen(port, "127.0.0.1", resolve));
  const cut = () =>
    new Promise<void>((resolve) => {
      if (!relay.listening) return resolve();
      relay.close(() => resolve());
      for (const socket of open) socket.destroy();
    });
  await listen(0);
  const port = (relay.address() as { port: number }).port;
  t.after(cut);
  return { port, cut, restore: () => listen(port) };
}

/**
 * A PostgreSQL server of the test's own, to shut down or crash under a sync without touching the
 * shared one. `stop("immediate")` is what a crash of the server is to its clients: no shutdown
 * checkpoint, and the WAL it had not yet handed to the system is gone, with the commits made without
 * waiting for the disk. Its WAL writer waits 10 s between rounds (autovacuum off), so the commits of
 * the last moments are among them. Trust authentication for the test role on 127.0.0.1; run as
 * postgres where the tests run as root (the server refuses root); removed after the test.
 * `standbyOf`: a streaming standby of that server (pg_basebackup), which `promote()` makes a primary,
 * as a cluster's failover does. `tlsOnly`: TLS on (a certificate for 127.0.0.1 signed by the test
 * CA in `<socketFolder>/ca.pem`), and TCP connections taken only encrypted (pg_hba.conf's hostssl);
 * `clientCertificate`: those only with a client certificate the CA signed (`client.pem`, `client.key`).
 */
export async function startOwnPostgres(
  t: { after(fn: () => void): void },
  options: { standbyOf?: OwnPostgres; tlsOnly?: boolean; clientCertificate?: boolean } = {},
): Promise<OwnPostgres> {
  const tls = options.tlsOnly || options.clientCertificate;
  const asRoot = process.getuid?.() === 0;
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  const bin = (program: string) => `/usr/lib/postgresql/${versions[0]}/bin/${program}`;
  const dir = mkdtempSync(join(asRoot ? "/tmp" : tmpdir(), "sluice-own-pg-"));
  if (asRoot) chownToPostgres(dir);
  const run = (program: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : bin(program), asRoot ? ["-u", "postgres", "--", bin(program), ...args] : args, {
      stdio: ["ignore", "ignore", "pipe"],
    });
  const data = join(dir, "data");
  const stop = (mode: "fast" | "immediate") => run("pg_ctl", ["-D", data, "-w", "-m", mode, "stop"]);
  // Registered first: a server that fails to start, or a test that fails, leaves nothing behind.
  t.after(() => {
    try {
      stop("immediate");
    } catch {
      // stopped already, or never started
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c wal_writer_delay=10s",
    "-c autovacuum=off",
    ...(tls ? await serverCertificateSettings(dir, asRoot) : []),
  ].join(" ");
  const start = () => run("pg_ctl", ["-D", data, "-w", "-l", join(dir, "log"), "-o", settings, "start"]);
  if (options.standbyOf)
    run("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(options.standbyOf.port),
      "-U",
      PG_ROLE.user,
      "-D",
      data,
      "-R",
    ]);
  else run("initdb", ["-D", data, "-A", "trust", "-U", PG_ROLE.user, "--no-sync", "-E", "UTF8", "--locale=C"]);
  // The server's owner keeps the file's owner: written in place.
  if (tls)
    writeFileSync(
      join(data, "pg_hba.conf"),
      `local all all trust\nhostssl all all 127.0.0.1/32 trust${options.clientCertificate ? " clientcert=verify-ca" : ""}\n`,
    );
  start();
  const query = async <T>(sql: string): Promise<T[]> => {
    // Through its socket: taken whatever the server asks of TCP connections.
    const client = new pg.Client({ host: dir, port, database: "postgres", user: PG_ROLE.user });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    url: `postgres://${PG_ROLE.user}@127.0.0.1:${port}/postgres`,
    port,
    socketFolder: dir,
    query,
    stop,
    start,
    promote: () => run("pg_ctl", ["-D", data, "-w", "promote"]),
  };
}

/** Gives a file to the postgres user, as which the tests' own servers run where the tests run as root. */
function chownToPostgres(path: string): void {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  chownSync(path, id("-u"), id("-g"));
}

/** A certificate and key for the server, owned by the user it runs as (PostgreSQL refuses a key others can read). */
async function serverCertificateSettings(dir: string, asRoot: boolean): Promise<string[]> {
  const certificates = await makeCertificates(dir);
  if (asRoot) {
    for (const file of [certificates.serverCert, certificates.serverKey]) chownToPostgres(file);
  }
  chmodSync(certificates.serverKey, 0o600);
  return [
    "-c ssl=on",
    `-c ssl_cert_file=${certificates.serverCert}`,
    `-c ssl_key_file=${certificates.serverKey}`,
    `-c ssl_ca_file=${certificates.ca}`,
  ];
}

export interface OwnPostgres {
  url: string;
  port: number;
  /** The folder holding its Unix socket. */
  socketFolder: string;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  stop(mode: "fast" | "immediate"): void;
  start(): void;
  /** A standby becomes a primary. */
  promote(): void;
}

/**
 * A failover whose old primary stays up and takes no writes (as a cluster manager fencing it does,
 * where it does not restart it as a standby): the primary's sessions turn read-only, the standby
 * replays everything the primary wrote, and is promoted.
 */
export async function failOverKeepingPrimaryUp(primary: OwnPostgres, standby: OwnPostgres): Promise<void> {
  await primary.query("ALTER SYSTEM SET default_transaction_read_only = on");
  await primary.query("SELECT pg_reload_conf()");
  const [{ written }] = await primary.query<{ written: string }>("SELECT pg_current_wal_lsn()::text AS written");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [{ replayed }] = await standby.query<{ replayed: boolean }>(
      `SELECT pg_last_wal_replay_lsn() >= '${written}'::pg_lsn AS replayed`,
    );
    if (replayed) break;
    if (Date.now() > deadline) throw new Error("timed out waiting for the standby to replay the primary's writes");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  standby.promote();
}
