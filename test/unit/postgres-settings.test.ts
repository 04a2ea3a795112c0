/** How a PostgreSQL URL and the PG* variables become the driver's settings: libpq's reading of sslmode. */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { clientSettings, otherTlsTry } from "../../src/stores/postgres/settings.js";
import { serverList } from "../../src/stores/postgres/servers.js";
import { ignoredSettings } from "../../src/stores/postgres/keywords.js";
import { requiredAuthentication } from "../../src/stores/postgres/require-auth.js";
import { parseStoreLocation } from "../../src/stores/location.js";

const target = (url: string) => ({ url, display: url });
/** The settings' `ssl`, as a plain object (the parser makes them without a prototype). */
const sslOf = (url: string) => {
  const { ssl } = clientSettings(target(url));
  return typeof ssl === "object" ? { ...ssl } : ssl;
};

function withEnvironment<T>(variables: Record<string, string>, run: () => T): T {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return run();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test("sslmode as libpq reads it: require and prefer encrypt without checking, verify-full checks, disable, allow and none start plain", () => {
  const ssl = (query: string) => sslOf(`postgres://u@h/d${query}`);
  assert.deepEqual(ssl("?sslmode=require"), { rejectUnauthorized: false });
  assert.deepEqual(ssl("?sslmode=prefer"), { rejectUnauthorized: false });
  assert.deepEqual(ssl("?sslmode=verify-full"), {});
  assert.equal(ssl("?sslmode=disable"), false);
  assert.equal(ssl("?sslmode=allow"), false);
  assert.equal(ssl(""), false);
});

test("a second try only where sslmode has one and the server refused the first for its encryption", () => {
  const noTls = new Error("The server does not support SSL connections");
  const plainRefused = Object.assign(new Error('no pg_hba.conf entry for host "127.0.0.1", no encryption'), {
    code: "28000",
  });
  const passwordRefused = Object.assign(new Error("password authentication failed"), { code: "28P01" });
  const other = (query: string, tried: unknown, error: Error) =>
    otherTlsTry(target(`postgres://u@h/d${query}`), tried as false, error);
  assert.equal(other("?sslmode=prefer", { rejectUnauthorized: false }, noTls), false);
  assert.equal(other("?sslmode=prefer", { rejectUnauthorized: false }, passwordRefused), undefined);
  assert.equal(other("?sslmode=prefer&channel_binding=require", { rejectUnauthorized: false }, noTls), undefined);
  assert.deepEqual({ ...(other("?sslmode=allow", false, plainRefused) as object) }, { rejectUnauthorized: false });
  assert.deepEqual({ ...(other("", false, plainRefused) as object) }, { rejectUnauthorized: false });
  assert.equal(other("", false, passwordRefused), undefined);
  assert.equal(other("?sslmode=disable", false, plainRefused), undefined);
  assert.equal(other("?sslmode=require", { rejectUnauthorized: false }, noTls), undefined);
  // A URL left to the driver's own reading keeps its one way.
  assert.equal(other("?uselibpqcompat=false&sslmode=prefer", {}, noTls), undefined);
});

test("the TLS variables fill in what the URL leaves out; the URL wins", () => {
  withEnvironment({ PGSSLMODE: "require" }, () => {
    assert.deepEqual(sslOf("postgres://u@h/d"), { rejectUnauthorized: false });
    assert.deepEqual(sslOf("postgres://u@h/d?sslmode=verify-full"), {});
    assert.equal(sslOf("postgres://u@h/d?sslmode=disable"), false);
  });
});

test("sslnegotiation=direct (libpq 17) only with a mode that insists on TLS, as libpq allows it", () => {
  assert.deepEqual(sslOf("postgres://u@h/d?sslnegotiation=direct&sslmode=require"), { rejectUnauthorized: false });
  for (const query of ["sslnegotiation=direct", "sslnegotiation=direct&sslmode=prefer"])
    assert.throws(
      () => clientSettings(target(`postgres://u@h/d?${query}`)),
      (error: Error & { code?: string }) =>
        error.code === "STORE_LOCATION_INVALID" &&
        /allows with sslmode=require, verify-ca or verify-full only/.test(error.message),
    );
  withEnvironment({ PGSSLNEGOTIATION: "direct" }, () =>
    assert.throws(
      () => clientSettings(target("postgres://u@h/d")),
      /sslnegotiation=direct \(URL or PGSSLNEGOTIATION\)/,
    ),
  );
});

test("libpq's dbname in the query names the database, which the driver would ignore", () => {
  assert.equal(clientSettings(target("postgres://u@h?dbname=crm")).database, "crm");
  assert.equal(
    clientSettings(target("postgres://u@h/other?dbname=crm")).database,
    "crm",
    "the query wins, as in libpq",
  );
});

test("TLS settings the driver does not read: protocol versions, the client key's passphrase, revocation lists, sslcertmode", () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-tls-"));
  try {
    writeFileSync(join(dir, "list.crl"), "LIST");
    writeFileSync(join(dir, "client.pem"), "CERT");
    writeFileSync(join(dir, "client.key"), "KEY", { mode: 0o600 });
    const crls = join(dir, "crls");
    mkdirSync(crls);
    writeFileSync(join(crls, "a.r0"), "A");
    const query = `sslmode=require&ssl_min_protocol_version=tlsv1.2&ssl_max_protocol_version=TLSv1.3&sslpassword=pw&sslcrl=${join(dir, "list.crl")}&sslcrldir=${crls}`;
    assert.deepEqual(sslOf(`postgres://u@h/d?${query}`), {
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
      passphrase: "pw",
      crl: ["LIST", "A"],
    });
    withEnvironment({ PGSSLMINPROTOCOLVERSION: "TLSv1.3" }, () =>
      assert.deepEqual(sslOf("postgres://u@h/d?sslmode=require"), { rejectUnauthorized: false, minVersion: "TLSv1.3" }),
    );
    const client = `sslmode=require&sslcert=${join(dir, "client.pem")}&sslkey=${join(dir, "client.key")}`;
    assert.deepEqual(sslOf(`postgres://u@h/d?${client}`), { rejectUnauthorized: false, cert: "CERT", key: "KEY" });
    assert.deepEqual(sslOf(`postgres://u@h/d?${client}&sslcertmode=disable`), { rejectUnauthorized: false });
    // A key others can read is refused, as libpq refuses it.
    chmodSync(join(dir, "client.key"), 0o644);
    assert.throws(
      () => clientSettings(target(`postgres://u@h/d?${client}`)),
      (error: Error & { code?: string }) =>
        error.code === "STORE_TLS_FAILED" &&
        /client\.key \(sslkey or PGSSLKEY\) can be read by other users: chmod 600/.test(error.message),
    );
    chmodSync(join(dir, "client.key"), 0o600);
    assert.throws(
      () => clientSettings(target(`postgres://u@h/d?${client}&sslcertmode=require`)),
      /sslcertmode=require \(URL or PGSSLCERTMODE\): Sluice cannot tell whether the server asked/,
    );
    assert.throws(
      () => clientSettings(target("postgres://u@h/d?sslmode=require&ssl_min_protocol_version=TLS1.3")),
      /ssl_min_protocol_version=TLS1\.3 \(URL or its PG\* variable\): give TLSv1, TLSv1\.1, TLSv1\.2 or TLSv1\.3/,
    );
    assert.throws(
      () => clientSettings(target("postgres://u@h/d?sslmode=require&sslcrl=/nonexistent/list.crl")),
      (error: Error & { code?: string }) =>
        error.code === "STORE_TLS_FAILED" && /a file its TLS settings name: ENOENT.*list\.crl/.test(error.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("settings asking for a safety Sluice cannot keep are refused, in the URL or their variable; a misspelt one names the one meant", () => {
  const refused = (url: string, pattern: RegExp) =>
    assert.throws(
      () => clientSettings(target(url)),
      (error: Error & { code?: string }) => error.code === "STORE_LOCATION_INVALID" && pattern.test(error.message),
    );
  refused("postgres://u@/d?host=/run/postgresql&requirepeer=postgres", /requirepeer=postgres \(URL\): Node cannot ask/);
  refused("postgres://u@h/d?gssencmode=require", /gssencmode=require \(URL\): Sluice has no GSSAPI encryption/);
  withEnvironment({ PGREQUIREPEER: "postgres" }, () =>
    refused("postgres://u@h/d", /requirepeer=postgres \(PGREQUIREPEER\)/),
  );
  refused(
    "postgres://u@h/d?sslmdoe=require",
    /sslmdoe= in the URL is no PostgreSQL connection setting: did you mean sslmode\?/,
  );
  refused("postgres://u@h/d?sslrootcrt=ca.pem", /did you mean sslrootcert\?/);
  // What has nothing to do here, and the driver's own settings, connect.
  for (const query of ["gssencmode=disable", "krbsrvname=postgres", "statement_timeout=1000", "ssl=true"])
    assert.doesNotThrow(() => clientSettings(target(`postgres://u@h/d?${query}`)), query);
});

test("require_auth (libpq 16): the ways allowed, or each with ! the ways refused, never both; unknown ways named", () => {
  const rule = (query: string) => requiredAuthentication(target(`postgres://u@h/d?${query}`));
  assert.equal(rule(""), undefined);
  const allowed = rule("require_auth=scram-sha-256,none")!;
  assert.deepEqual(
    ["scram-sha-256", "none", "md5", "password"].map((method) => allowed.allows(method as "md5")),
    [true, true, false, false],
  );
  const refused = rule("require_auth=!password,!md5")!;
  assert.deepEqual(
    ["scram-sha-256", "none", "md5", "password"].map((method) => refused.allows(method as "md5")),
    [true, true, false, false],
  );
  assert.throws(
    () => rule("require_auth=scram-sha-256,!md5"),
    /list the ways allowed, or \(each with !\) the ways refused, not both/,
  );
  assert.throws(() => rule("require_auth=scram"), /"scram" is no way of asking for the password; give password, md5/);
  withEnvironment({ PGREQUIREAUTH: "md5" }, () => assert.equal(rule("")!.given, "md5"));
});

test("settings Sluice ignores are named with why: another tool's (Prisma's schema, pgbouncer), libpq's it cannot apply", () => {
  assert.deepEqual(
    ignoredSettings("postgres://u@h/d?schema=public&pgbouncer=true&tcp_user_timeout=5000&sslmode=require&dbname=crm"),
    [
      "schema in the --db URL is not a PostgreSQL connection setting and is ignored: give Sluice's schema with --schema",
      "pgbouncer in the --db URL is not a PostgreSQL connection setting (another tool's?) and is ignored",
      "tcp_user_timeout in the --db URL is not applied: the system's TCP settings give how long sent data may go unacknowledged",
    ],
  );
  assert.deepEqual(ignoredSettings("postgres://u@h/d"), []);
});

test("a client key's passphrase in the URL is a password: warned about, and never shown", () => {
  for (const url of [
    "postgres://u@h/d?sslpassword=s3cret&sslmode=require",
    "postgres://u@h:port/d?sslpassword=s3cret",
    "postgres://u@h/d?sslpasword=s3cret",
  ]) {
    const location = parseStoreLocation(url) as { display: string; passwordInUrl: boolean };
    assert.equal(location.passwordInUrl, true, url);
    assert.doesNotMatch(location.display, /s3cret/, url);
  }
});

test("a URL that chooses the driver's own reading (uselibpqcompat) keeps it", () => {
  assert.deepEqual(sslOf("postgres://u@h/d?uselibpqcompat=false&sslmode=verify-full"), {});
});

test("verify-ca without an authority is refused with what to give, before any connection", () => {
  assert.throws(
    () => clientSettings(target("postgres://u@h/d?sslmode=verify-ca")),
    (error: Error & { code?: string }) => error.code === "STORE_TLS_FAILED" && /sslrootcert=<file>/.test(error.message),
  );
});

test("a URL the parser cannot read is the location's fault, named as such", () => {
  assert.throws(
    () => clientSettings(target("postgres://u@h:abc/d")),
    (error: Error & { code?: string }) =>
      error.code === "STORE_LOCATION_INVALID" && /the URL cannot be read \(Invalid URL\)/.test(error.message),
  );
});

test("libpq's list of servers: one URL per server, in order, each with the user, database and query, passwords hidden in what is shown", () => {
  const url = "postgresql://loader:secret@db1:5432,[::1]:6432,db3/crm?sslmode=require&target_session_attrs=read-write";
  const list = serverList({ url, display: "postgresql://loader@db1:5432,[::1]:6432,db3/crm?sslmode=require" });
  assert.deepEqual(
    list.servers.map((server) => server.url),
    [
      "postgresql://loader:secret@db1:5432/crm?sslmode=require&target_session_attrs=read-write",
      "postgresql://loader:secret@[::1]:6432/crm?sslmode=require&target_session_attrs=read-write",
      "postgresql://loader:secret@db3/crm?sslmode=require&target_session_attrs=read-write",
    ],
  );
  assert.deepEqual(
    list.servers.map((server) => server.display),
    [
      "postgresql://loader@db1:5432/crm?sslmode=require",
      "postgresql://loader@[::1]:6432/crm?sslmode=require",
      "postgresql://loader@db3/crm?sslmode=require",
    ],
  );
  assert.deepEqual(list.passes, ["read-write"]);
  // Each server's URL reads as a URL of one server.
  assert.equal(clientSettings(list.servers[1]!).host, "::1");
  assert.equal(serverList(target("postgres://u@h/d")).servers.length, 1);
});

test("PGHOST may list the servers too, when the URL names none (PGPORT: one port for all, or one per server)", () => {
  const urls = (url: string, variables: Record<string, string>) =>
    withEnvironment(variables, () => serverList(target(url)).servers.map((server) => server.url));
  assert.deepEqual(urls("postgres:///crm", { PGHOST: "db1,db2", PGPORT: "6432" }), [
    "postgres:///crm?host=db1&port=6432",
    "postgres:///crm?host=db2&port=6432",
  ]);
  assert.deepEqual(urls("postgres://loader@/crm", { PGHOST: "db1,::1", PGPORT: "5432,5433" }), [
    "postgres://loader@/crm?host=db1&port=5432",
    "postgres://loader@/crm?host=%3A%3A1&port=5433",
  ]);
  // A socket folder is a server too; the URL's own host wins.
  assert.deepEqual(urls("postgres:///crm", { PGHOST: "/run/postgresql,db2" }), [
    "postgres:///crm?host=%2Frun%2Fpostgresql",
    "postgres:///crm?host=db2",
  ]);
  assert.deepEqual(urls("postgres://h/crm", { PGHOST: "db1,db2" }), ["postgres://h/crm"]);
  assert.deepEqual(urls("postgres:///crm?host=h", { PGHOST: "db1,db2" }), ["postgres:///crm?host=h"]);
  // Each reads as the URL of one server.
  const [first, second] = withEnvironment({ PGHOST: "/run/postgresql,::1", PGPORT: "5432,5433" }, () =>
    serverList(target("postgres://loader@/crm")).servers.map((server) => clientSettings(server)),
  );
  assert.deepEqual([first!.host, first!.port, second!.host, second!.port], ["/run/postgresql", 5432, "::1", 5433]);
});

test("libpq's list of servers in the query (host=a,b&port=1,2), socket folders included; the ports must match the servers", () => {
  const urls = (url: string) => serverList(target(url)).servers.map((server) => server.url);
  assert.deepEqual(urls("postgres://loader@/crm?host=db1,/run/postgresql&port=5432,6432&sslmode=require"), [
    "postgres://loader@/crm?host=db1&port=5432&sslmode=require",
    "postgres://loader@/crm?host=%2Frun%2Fpostgresql&port=6432&sslmode=require",
  ]);
  assert.deepEqual(urls("postgresql:///crm?host=db1,db2&port=6432"), [
    "postgresql:///crm?host=db1&port=6432",
    "postgresql:///crm?host=db2&port=6432",
  ]);
  assert.deepEqual(urls("postgres:///crm?host=/run/postgresql"), ["postgres:///crm?host=/run/postgresql"]);
  assert.throws(
    () => serverList(target("postgres:///crm?host=a,b,c&port=1,2")),
    (error: Error & { code?: string }) =>
      error.code === "STORE_LOCATION_INVALID" &&
      /2 ports for 3 servers: give one port for all, or one per server/.test(error.message),
  );
  const settings = serverList(target("postgres:///crm?host=db1,db2&port=1,2")).servers.map((server) =>
    clientSettings(server),
  );
  assert.deepEqual(
    settings.map((server) => [server.host, server.port, server.database]),
    [
      ["db1", 1, "crm"],
      ["db2", 2, "crm"],
    ],
  );
});

test("libpq's hostaddr (and PGHOSTADDR), which the driver does not read, is the address connected to where no host is named; beside one it is refused", () => {
  const hosts = (url: string, variables: Record<string, string> = {}) =>
    withEnvironment(variables, () => serverList(target(url)).servers.map((server) => clientSettings(server).host));
  assert.deepEqual(hosts("postgres://u@/crm?hostaddr=10.0.0.5"), ["10.0.0.5"]);
  assert.deepEqual(hosts("postgres:///crm?hostaddr=10.0.0.5,10.0.0.6"), ["10.0.0.5", "10.0.0.6"]);
  assert.deepEqual(hosts("postgres:///crm", { PGHOSTADDR: "10.0.0.7" }), ["10.0.0.7"]);
  assert.deepEqual(hosts("postgres://db/crm", { PGHOSTADDR: "10.0.0.7" }), ["db"]);
  for (const [url, variables, reason] of [
    ["postgres://db/crm?hostaddr=10.0.0.5", {}, /hostaddr= beside a host name/],
    ["postgres:///crm?host=db&hostaddr=10.0.0.5", {}, /hostaddr= beside a host name/],
    ["postgres:///crm", { PGHOST: "db", PGHOSTADDR: "10.0.0.7" }, /both PGHOST and PGHOSTADDR are set/],
  ] as const)
    assert.throws(
      () => withEnvironment(variables, () => serverList(target(url))),
      (error: Error & { code?: string }) => error.code === "STORE_LOCATION_INVALID" && reason.test(error.message),
      url,
    );
});

test("target_session_attrs as libpq reads it (URL, else PGTARGETSESSIONATTRS); what writes wants a server that takes writes", () => {
  assert.deepEqual(serverList(target("postgres://u@a,b/d")).passes, ["any"]);
  assert.deepEqual(serverList(target("postgres://u@a,b/d"), { writes: true }).passes, ["read-write"]);
  assert.deepEqual(serverList(target("postgres://u@a,b/d?target_session_attrs=primary"), { writes: true }).passes, [
    "primary",
  ]);
  assert.deepEqual(serverList(target("postgres://u@a,b/d?target_session_attrs=prefer-standby")).passes, [
    "standby",
    "any",
  ]);
  withEnvironment({ PGTARGETSESSIONATTRS: "standby" }, () =>
    assert.deepEqual(serverList(target("postgres://u@a,b/d")).passes, ["standby"]),
  );
  assert.throws(
    () => serverList(target("postgres://u@a,b/d?target_session_attrs=standby"), { writes: true }),
    (error: Error & { code?: string }) =>
      error.code === "STORE_LOCATION_INVALID" &&
      /target_session_attrs=standby asks for a server that takes no writes, and Sluice writes here/.test(error.message),
  );
  assert.throws(
    () => serverList(target("postgres://u@a,b/d?target_session_attrs=master")),
    /target_session_attrs=master: give one of any, read-write, read-only, primary, standby, prefer-standby/,
  );
  assert.throws(
    () => serverList(target("postgres://u@a,b/d?load_balance_hosts=yes")),
    /load_balance_hosts=yes: give disable or random/,
  );
  const balanced = new Set<string>();
  for (let i = 0; i < 50; i++)
    balanced.add(serverList(target("postgres://u@a,b,c/d?load_balance_hosts=random")).servers[0]!.url);
  assert.ok(balanced.size > 1, "random order");
});

test("libpq's service file: service= (or PGSERVICE) fills in what the URL leaves out; the URL wins; a missing service names the files searched", () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-service-"));
  try {
    const file = join(dir, "pg_service.conf");
    writeFileSync(
      file,
      [
        "# the team's services",
        "[other]",
        "host=elsewhere",
        "[crm]",
        "host = db1",
        "port=6432",
        "dbname=crm",
        "user=loader",
        "password=s3cret",
        "sslmode=require",
        "[pair]",
        "host=db1,db2",
        "port=5432,5433",
        "",
      ].join("\n"),
    );
    const servers = (url: string, variables: Record<string, string> = {}) =>
      withEnvironment({ PGSERVICEFILE: file, PGSYSCONFDIR: dir, ...variables }, () => serverList(target(url)).servers);
    const settingsOf = (url: string, variables: Record<string, string> = {}) =>
      servers(url, variables).map((server) => {
        const { host, port, database, user, password, ssl } = clientSettings(server);
        return { host, port, database, user, password, ssl: typeof ssl === "object" ? { ...ssl } : ssl };
      });
    const crm = {
      host: "db1",
      port: 6432,
      database: "crm",
      user: "loader",
      password: "s3cret",
      ssl: { rejectUnauthorized: false },
    };
    assert.deepEqual(settingsOf("postgres://?service=crm"), [crm]);
    assert.deepEqual(settingsOf("postgres://", { PGSERVICE: "crm" }), [crm]);
    // Not in the user's file (here, no such file): the system's.
    assert.deepEqual(settingsOf("postgres://?service=crm", { PGSERVICEFILE: join(dir, "none.conf") }), [crm]);
    // The URL's own parts win over the service's (each on its own: the port of the service, the host of
    // the URL); the service's over the PG* variables.
    assert.deepEqual(settingsOf("postgres://other:pw@h2/app?service=crm&sslmode=disable"), [
      { host: "h2", port: 6432, database: "app", user: "other", password: "pw", ssl: false },
    ]);
    assert.deepEqual(settingsOf("postgres://?service=crm", { PGHOST: "envhost", PGDATABASE: "envdb" }), [crm]);
    assert.equal(settingsOf("postgres://h2:7777/app?service=crm")[0]!.port, 7777);
    // The password goes to the driver only, never into what is shown.
    assert.doesNotMatch(servers("postgres://?service=crm")[0]!.display, /s3cret/);
    assert.deepEqual(
      settingsOf("postgres://?service=pair").map((server) => [server.host, server.port]),
      [
        ["db1", 5432],
        ["db2", 5433],
      ],
    );
    assert.throws(
      () => servers("postgres://?service=nope"),
      (error: Error & { code?: string }) =>
        error.code === "STORE_LOCATION_INVALID" &&
        error.message.includes(`service "nope" (service= in the URL, or PGSERVICE) is defined in none of ${file}: `),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("connect_timeout (URL) or PGCONNECT_TIMEOUT, as libpq reads them: whole seconds, at least 2, 0 for no limit; 15 s where neither says", () => {
  const timeout = (url: string, variables: Record<string, string> = {}) =>
    withEnvironment(variables, () => clientSettings(target(url)).connectionTimeoutMillis);
  assert.equal(timeout("postgres://h/d"), 15_000);
  assert.equal(timeout("postgres://h/d?connect_timeout=5"), 5_000);
  assert.equal(timeout("postgres://h/d?connect_timeout=1"), 2_000);
  assert.equal(timeout("postgres://h/d", { PGCONNECT_TIMEOUT: "0" }), 0);
  assert.equal(timeout("postgres://h/d?connect_timeout=7", { PGCONNECT_TIMEOUT: "0" }), 7_000);
  assert.throws(
    () => timeout("postgres://h/d?connect_timeout=soon"),
    (error: Error & { code?: string }) =>
      error.code === "STORE_LOCATION_INVALID" &&
      /connect_timeout=soon .*give whole seconds, 0 for no limit/.test(error.message),
  );
});

test("channel_binding (URL) or PGCHANNELBINDING as libpq reads it: require and prefer bind the password exchange to TLS, require without TLS is refused", () => {
  const binding = (url: string, variables: Record<string, string> = {}) =>
    withEnvironment(variables, () => clientSettings(target(url)).enableChannelBinding);
  assert.equal(binding("postgres://h/d?sslmode=require&channel_binding=require"), true);
  assert.equal(binding("postgres://h/d?sslmode=require&channel_binding=prefer"), true);
  assert.equal(binding("postgres://h/d?channel_binding=prefer"), true);
  assert.equal(binding("postgres://h/d?sslmode=require&channel_binding=disable"), false);
  assert.equal(binding("postgres://h/d?sslmode=require"), undefined);
  assert.equal(binding("postgres://h/d", { PGCHANNELBINDING: "require", PGSSLMODE: "verify-full" }), true);
  for (const [url, reason] of [
    ["postgres://h/d?channel_binding=require", /channel_binding=require binds .* add sslmode=require/],
    ["postgres://h/d?sslmode=disable&channel_binding=require", /channel_binding=require binds/],
    ["postgres://h/d?sslmode=require&channel_binding=yes", /channel_binding=yes .*give require, prefer or disable/],
  ] as const)
    assert.throws(
      () => clientSettings(target(url)),
      (error: Error & { code?: string }) => error.code === "STORE_LOCATION_INVALID" && reason.test(error.message),
      url,
    );
});

test("sslrootcert=system (libpq 16; or PGSSLROOTCERT): the system's authorities, with verify-full, never a file named system; a weaker sslmode is refused", () => {
  assert.deepEqual(sslOf("postgres://u@h/d?sslrootcert=system"), {});
  assert.deepEqual(sslOf("postgres://u@h/d?sslmode=verify-full&sslrootcert=system"), {});
  assert.deepEqual(
    withEnvironment({ PGSSLROOTCERT: "system" }, () => sslOf("postgres://u@h/d")),
    {},
  );
  for (const mode of ["require", "verify-ca"])
    assert.throws(
      () => clientSettings(target(`postgres://u@h/d?sslmode=${mode}&sslrootcert=system`)),
      (error: Error & { code?: string }) =>
        error.code === "STORE_LOCATION_INVALID" &&
        error.message.includes(`with sslmode=verify-full only (sslmode=${mode} given): give sslmode=verify-full`),
    );
  // The rest of the URL's query reaches the driver as given.
  const settings = clientSettings(
    target("postgres://u@h/d?sslrootcert=system&application_name=a%20b&options=-c%20x%3D1"),
  );
  assert.deepEqual([settings.application_name, settings.options], ["a b", "-c x=1"]);
});
