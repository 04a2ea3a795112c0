// `npm run demo`: syncs real, offline data into ./sluice.db with the bundled
// connectors, the way a user would run them:
//   1. the files of this repository (those git tracks), through the Go c1-core connector
//      (go-plugin, Sync + broker callback; one record per file, RemoteID = path)
//   2. the commits of this repository, through the Python connector (native protocol)
//   3. the npm packages installed here, through the TypeScript connector
//   4. the commits again, as Code Climate records, through a connector written
//      with Code Climate's API (`sluice/codeclimate`), in a limited child process
//   5. a Conduit pipeline: the TypeScript Conduit connector's records, built-in
// Then it shows what landed. Run it twice: the second run updates in place.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const db = process.env.SLUICE_DB ?? "sluice.db";

function sluice(args) {
  console.error(`\n$ sluice ${args.map((a) => (/[\s"{}]/.test(a) ? `'${a}'` : a)).join(" ")}`);
  const result = spawnSync(process.execPath, [join(root, "bin/sluice.js"), ...args], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

sluice([
  "sync",
  "--db",
  db,
  "--command",
  join(root, "examples/go/files/bin/files"),
  "--options",
  // what git tracks (or would: .gitignore respected), not node_modules or virtual environments,
  // so a second run finds the same files `unchanged`
  JSON.stringify({ root, page_size: 100, git: existsSync(join(root, ".git")) }),
]);
if (existsSync(join(root, ".git"))) {
  sluice([
    "sync",
    "--db",
    db,
    "--command",
    `${join(root, ".venv/bin/python")} ${join(root, "examples/python/gitlog/main.py")}`,
    "--options",
    JSON.stringify({ repo: root }),
  ]);
}
sluice([
  "sync",
  "--db",
  db,
  "--command",
  `node ${join(root, "examples/ts/dist/packages/main.js")}`,
  "--options",
  JSON.stringify({ root }),
]);
if (existsSync(join(root, ".git"))) {
  const folder = mkdtempSync(join(tmpdir(), "sluice-demo-"));
  process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
  const config = join(folder, "git.json");
  writeFileSync(config, JSON.stringify({ repositories: [root] }));
  sluice([
    "codeclimate",
    "sync",
    join(root, "examples/ts/dist/codeclimate-git/main.js"),
    config,
    "--db",
    db,
    "--lookback-days",
    "3650",
  ]);
}
sluice([
  "pipeline",
  "run",
  "--from",
  `builtin:${join(root, "examples/ts/dist/conduit/main.js")}`,
  "--from-config",
  "count=1000",
  "--from-config",
  "batch=100",
  "--to",
  `sqlite:${db}`,
  "--name",
  "conduit-demo",
  // a Conduit source never ends: stop once it has been idle (all read, or nothing new on a second run)
  "--idle-stop",
  "2",
]);
sluice(["syncs", "--db", db, "--limit", "5"]);
console.error(
  `\nDone. Try: sqlite3 ${db} 'SELECT remote_id, json_extract(metadata, "$.size") FROM files_objects LIMIT 5'`,
);
