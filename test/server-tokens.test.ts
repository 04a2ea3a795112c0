/** API tokens (src/server/auth): made, listed and revoked from the CLI; stored only as hashes. */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Sessions, Tokens } from "../src/server/auth/index.js";
import { openMetadata } from "../src/server/metadata/index.js";
import { sluice, sluiceJson, tempDir } from "./helpers.js";

interface CreatedJson {
  token: string;
  id: string;
  name: string;
  role: string;
}

test("token create prints the token once; the database holds only its hash, owner-only", async (t) => {
  const db = join(tempDir(t), "app.db");
  const created = await sluiceJson<CreatedJson>(["server", "token", "create", "--name", "ci", "--db", db]);
  assert.match(created.token, /^sluice_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  assert.equal(created.name, "ci");
  assert.equal(created.role, "admin");
  assert.ok(created.token.includes(created.id), "the token carries its public id");

  const bytes = readFileSync(db).toString("latin1") + readWal(db);
  assert.ok(!bytes.includes(created.token), "the token text is not in the database");
  assert.ok(!bytes.includes(created.token.slice(-43)), "nor its secret part");
  assert.equal(statSync(db).mode & 0o777, 0o600);

  const list = await sluiceJson<Record<string, unknown>[]>(["server", "token", "list", "--db", db]);
  assert.equal(list.length, 1);
  assert.equal(list[0].id, created.id);
  assert.ok(!JSON.stringify(list).includes(created.token.slice(-43)), "list never shows the secret");
  assert.ok(!("hash" in list[0]), "nor the hash");

  const human = await sluice(["server", "token", "list", "--db", db]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /ID\s+NAME\s+ROLE/);
  assert.match(human.stdout, new RegExp(`${created.id}\\s+ci\\s+admin`));
});

test("a token verifies until it is revoked, by id or by name; a revoked token's sessions end with it", async (t) => {
  const db = join(tempDir(t), "app.db");
  const ci = await sluiceJson<CreatedJson>(["server", "token", "create", "--name", "ci", "--db", db]);
  const reader = await sluiceJson<CreatedJson>([
    "server",
    "token",
    "create",
    "--name",
    "dash",
    "--role",
    "read",
    "--db",
    db,
  ]);
  const metadata = await openMetadata(db);
  t.after(() => metadata.close());
  const tokens = new Tokens(metadata.db);
  assert.equal((await tokens.verify(ci.token))?.id, ci.id);
  assert.equal((await tokens.verify(reader.token))?.role, "read");
  assert.equal(await tokens.verify(`${ci.token.slice(0, -1)}x`), undefined, "one character off is no token");
  assert.equal(await tokens.verify("Bearer nonsense"), undefined);

  const ciHolder = await tokens.verify(ci.token);
  assert.ok(ciHolder);
  const sessions = new Sessions(metadata.db, tokens);
  const session = await sessions.create(ciHolder);
  assert.equal((await sessions.verify(session.id))?.token.id, ci.id);

  const revoked = await sluiceJson<{ id: string; revokedAt: string }>(["server", "token", "revoke", "ci", "--db", db]);
  assert.equal(revoked.id, ci.id);
  assert.ok(revoked.revokedAt);
  assert.equal(await tokens.verify(ci.token), undefined, "revoked");
  assert.equal(await sessions.verify(session.id), undefined, "its browser session ended with it");
  assert.equal((await tokens.verify(reader.token))?.id, reader.id, "the other token still works");

  const again = await sluice(["server", "token", "revoke", reader.id, "--db", db]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await tokens.verify(reader.token), undefined);
});

test("token commands explain bad input", async (t) => {
  const db = join(tempDir(t), "app.db");
  const unknown = await sluice(["server", "token", "revoke", "nobody", "--db", db]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no token has the id or name "nobody"/);
  const role = await sluice(["server", "token", "create", "--role", "root", "--db", db]);
  assert.equal(role.code, 1);
  assert.match(role.stderr, /role must be one of admin, read \(got "root"\)/);
  const name = await sluice(["server", "token", "create", "--name", "", "--db", db]);
  assert.equal(name.code, 1);
  assert.match(name.stderr, /a token's name is 1 to 64/);
});

function readWal(db: string): string {
  try {
    return readFileSync(`${db}-wal`).toString("latin1");
  } catch {
    return "";
  }
}
