/**
 * A large table through Sluice's Qlik server and client, with memory
 * measured: the rows stream, they are never all in memory on either side.
 * QLIK_SCALE_ROWS sets the size (default 1M; about 10 s here).
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { query, root, sluiceBin, tempDir } from "./helpers.js";
import { generatePythonPeers, logLines, python, runMeasured, serveQlik } from "./qlik-helpers.js";

const ROWS = Number(process.env.QLIK_SCALE_ROWS ?? 1_000_000);
/** Well under what the rows take as JavaScript objects (several hundred MiB), well over what streaming needs. */
const RSS_LIMIT_MIB = 256;

function bigStore(dir: string): string {
  const file = join(dir, "big.db");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL, created DATETIME, n INTEGER)");
  const insert = db.prepare("INSERT INTO big VALUES (?, ?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++)
      insert.run(i, `name ${i % 1000}`, `user${i}@example.com`, i / 3, "2020-01-01T00:00:00Z", i % 2 ? i * 7 : null);
  })();
  db.close();
  return file;
}

const CHECKSUM =
  "SELECT count(*) AS rows, sum(id) AS ids, sum(length(name) + length(email)) AS text, sum(score) AS score, count(n) AS n FROM ";

test(`${ROWS} rows stream from sluice serve qlik into sluice sync --qlik with bounded memory on both sides`, async (t) => {
  const dir = tempDir(t);
  const source = bigStore(dir);
  const server = await serveQlik(t, source);
  const target = join(dir, "target.db");
  const sync = await runMeasured(process.execPath, [
    sluiceBin,
    "--json",
    "sync",
    "--qlik",
    server.address,
    "--statement",
    "SELECT * FROM big",
    "--db",
    target,
  ]);
  assert.equal(sync.code, 0, sync.stderr);
  assert.deepEqual(query(target, `${CHECKSUM} qlik_big`), query(source, `${CHECKSUM} big`));
  const served = logLines(server).find((line) => line.message === "GetData served")!;
  const serverPeak = server.peakRssMiB();
  t.diagnostic(
    `${ROWS} rows in ${sync.seconds.toFixed(1)} s (${Math.round(ROWS / sync.seconds)} rows/s end to end); ` +
      `${served.chunks} chunks, avg ${served.avgChunkBytes} B, largest ${served.largestChunkBytes} B; ` +
      `peak RSS: server ${serverPeak} MiB, client ${sync.peakRssMiB} MiB`,
  );
  assert.ok(serverPeak < RSS_LIMIT_MIB, `server peak RSS ${serverPeak} MiB`);
  assert.ok(sync.peakRssMiB < RSS_LIMIT_MIB, `client peak RSS ${sync.peakRssMiB} MiB`);
  assert.ok((served.avgChunkBytes as number) > 60_000 && (served.largestChunkBytes as number) < 66_000);
});

test("a reader that pauses holds the server back (gRPC backpressure); one that hangs up stops it", async (t) => {
  const dir = tempDir(t);
  const source = bigStore(dir);
  const generated = generatePythonPeers(t);
  const server = await serveQlik(t, source);
  const reader = spawn(
    python,
    [
      join(root, "test/fixtures/qlik/qlik_client.py"),
      server.address,
      "connect",
      "SELECT * FROM big",
      "--pause-after",
      "2",
      "--pause-seconds",
      "3",
      "--max-chunks",
      "5",
    ],
    {
      env: { ...process.env, PYTHONPATH: generated },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stderr = createInterface({ input: reader.stderr });
  await once(stderr, "line"); // PAUSED
  await sleep(1500);
  assert.equal(
    logLines(server).filter((line) => line.message === "GetData served").length,
    0,
    "the server finished while its reader paused",
  );
  const pausedRss = server.peakRssMiB();
  const [code] = (await once(reader, "close")) as [number];
  assert.equal(code, 0);
  for (let i = 0; i < 50 && !logLines(server).some((line) => line.message === "GetData served"); i++) await sleep(100);
  const served = logLines(server).find((line) => line.message === "GetData served")!;
  const sentMiB = ((served.chunks as number) * (served.avgChunkBytes as number)) / 2 ** 20;
  t.diagnostic(
    `paused reader: server sent ${served.rows} of ${ROWS} rows (${sentMiB.toFixed(1)} MiB, what HTTP/2 windows and buffers hold) before the reader hung up; server peak RSS ${pausedRss} MiB`,
  );
  assert.equal(served.cancelled, true);
  assert.ok((served.rows as number) < ROWS && sentMiB < 32, `the server sent ${served.rows} rows, ${sentMiB} MiB`);
  assert.ok(pausedRss < RSS_LIMIT_MIB);
});
