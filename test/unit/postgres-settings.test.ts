/** How a PostgreSQL URL and the PG* variables become the driver's settings: libpq's reading of sslmode. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientSettings } from "../../src/stores/postgres/connection.js";

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

test("sslmode as libpq reads it: require and prefer encrypt without checking, verify-full checks, disable and none are plain", () => {
  const ssl = (query: string) => sslOf(`postgres://u@h/d${query}`);
  assert.deepEqual(ssl("?sslmode=require"), { rejectUnauthorized: false });
  assert.deepEqual(ssl("?sslmode=prefer"), { rejectUnauthorized: false });
  assert.deepEqual(ssl("?sslmode=verify-full"), {});
  assert.equal(ssl("?sslmode=disable"), false);
  assert.equal(ssl(""), undefined);
});

test("the TLS variables fill in what the URL leaves out; the URL wins", () => {
  withEnvironment({ PGSSLMODE: "require" }, () => {
    assert.deepEqual(sslOf("postgres://u@h/d"), { rejectUnauthorized: false });
    assert.deepEqual(sslOf("postgres://u@h/d?sslmode=verify-full"), {});
    assert.equal(sslOf("postgres://u@h/d?sslmode=disable"), false);
  });
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

test("libpq's list of servers to fail over between is refused with what to give instead", () => {
  assert.throws(
    () => clientSettings(target("postgresql://u@db1:5432,db2:5432/d?target_session_attrs=read-write")),
    (error: Error & { code?: string }) =>
      error.code === "STORE_LOCATION_INVALID" &&
      /names several servers \(db1:5432,db2:5432\), and Sluice connects to one: name the primary's host:port/.test(
        error.message,
      ),
  );
});
