/** libpq's password file as Sluice reads it: matching, wildcards, escapes, sockets, and the files it skips. */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { passwordFor } from "../../src/stores/postgres/password-file.js";

function withFile(text: string, mode: number, run: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "sluice-pgpass-"));
  try {
    const file = join(dir, "pgpass");
    writeFileSync(file, text);
    chmodSync(file, mode);
    run(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const asking = (host: string, port = 5432, database: string | null = "crm", user = "loader") => ({
  host,
  port,
  database,
  user,
});

test("the first line matching host, port, database and user gives the password; * matches anything; \\: and \\\\ escape", () => {
  const lines = [
    "# the team's servers",
    "db1:5432:crm:loader:first",
    "db1:5432:crm:loader:second",
    "db1:*:*:admin:for-admin",
    "db\\:2:6432:crm:loader:with\\:colon\\\\slash",
    "*:*:*:loader:anywhere:with:colons",
    "localhost:5432:crm:loader:socket",
  ].join("\n");
  withFile(lines, 0o600, (file) => {
    const password = passwordFor(file, "postgres://loader@db1/crm");
    assert.equal(password(asking("db1")), "first");
    assert.equal(password(asking("db1", 7777, "other", "admin")), "for-admin");
    assert.equal(password(asking("db:2", 6432)), "with:colon\\slash");
    assert.equal(password(asking("db9", 1)), "anywhere:with:colons");
    // No database named: libpq's default, the user's name.
    assert.equal(password(asking("db1", 5432, null, "admin")), "for-admin");
  });
  withFile("localhost:5432:crm:loader:socket\n", 0o600, (file) => {
    // A Unix-socket connection matches localhost, as in libpq.
    assert.equal(passwordFor(file, "postgres://loader@db1/crm")(asking("/run/postgresql")), "socket");
  });
});

test("no line matching, no file, or a file other users can read (skipped, as libpq does): the reason and what to do", () => {
  const refused = (file: string, reason: RegExp) =>
    assert.throws(
      () => passwordFor(file, "postgres://loader@db1/crm")(asking("db1")),
      (error: Error & { code?: string }) =>
        error.code === "STORE_AUTH_FAILED" &&
        error.message.startsWith(
          'store postgres://loader@db1/crm: PostgreSQL at db1:5432 (database "crm", user "loader"): the server asks for a password and none was given: ',
        ) &&
        reason.test(error.message),
    );
  withFile("db2:5432:crm:loader:x\n", 0o600, (file) =>
    refused(
      file,
      new RegExp(`no line of ${file} matches the connection: .*add the line db1:5432:crm:loader:<password>`),
    ),
  );
  withFile("db1:5432:crm:loader:x\n", 0o644, (file) =>
    refused(file, new RegExp(`${file} was skipped because other users can read it \\(chmod 600 ${file}\\)`)),
  );
  refused("/nonexistent/pgpass", /set PGPASSWORD, or give it in \/nonexistent\/pgpass/);
});
