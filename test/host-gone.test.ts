/**
 * A crashed host leaves no connector behind (issue 14.8): connectors built on
 * Sluice's SDKs exit by themselves when their host is gone, under the real
 * upstream hosts the tests already have (go-plugin's client, Conduit's) and
 * under Sluice. Each host is killed with `kill -9` mid-run, so nothing can
 * stop the connector politely; the connector runs behind `sh -c` (as c1-core
 * and Sluice start connectors), so its parent lives on and only the lost
 * connection tells it the host is gone. No Sluice command runs afterwards:
 * nothing reaps it but itself.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { countRows, examples, root, sluiceBin, tempDir, until } from "./helpers.js";
import {
  type Background,
  background,
  childOf,
  descendantsOf,
  isRunning,
  type Process,
  stillRunningAfter,
  stopAfter,
} from "./process-helpers.js";

const scripted = join(root, "test/fixtures/scripted-connector.mjs");
const marked = join(root, "test/fixtures/conduit/marked.mjs");
const conduitHost = join(root, "test/interop/conduit/bin/conduit-host");
const hanging = join(root, "test/fixtures/python/hanging.py");

/** `kill -9` of the host: the connector (found running) then exits by itself. */
async function killHost(host: Background, connector: Process | undefined): Promise<void> {
  assert.ok(connector, "the connector was found running");
  host.child.kill("SIGKILL");
  await host.exited;
  assert.deepEqual(await stillRunningAfter([connector], 30_000), [], "the connector exits by itself");
}

test("TypeScript SDK under go-plugin's own host (as c1-core runs it, through sh -c): kill -9 of the host mid-read ends the connector", async (t) => {
  const reading = join(tempDir(t), "reading");
  const options = JSON.stringify({ pages: 1, then: "hang", reading });
  const host = background(examples.goHost, ["--native", "--options", options, "--cmd", `node ${scripted}`]);
  stopAfter(t, host.child);
  await until(() => existsSync(reading), "the connector to be reading");
  const shell = await childOf(host.pid);
  const [connector] = descendantsOf(host.pid, new RegExp(`^node ${scripted}`));
  await killHost(host, connector);
  await until(() => !isRunning(shell), "its shell to exit", 30_000);
});

test("TypeScript Conduit SDK under Conduit's own client (behind a shell script): kill -9 of the host mid-run ends the connector", async (t) => {
  const dir = tempDir(t);
  const opened = join(dir, "opened");
  const wrapper = join(dir, "connector.sh");
  writeFileSync(wrapper, `#!/bin/sh\n${process.execPath} ${marked}\n`); // no exec: the shell stays its parent
  chmodSync(wrapper, 0o755);
  const host = background(
    conduitHost,
    ["-plugin", wrapper, "-records", "1000000000", "-source-config", "count=1000000000"],
    { ...process.env, SLUICE_TEST_OPENED: opened },
  );
  stopAfter(t, host.child);
  await until(() => existsSync(opened), "the source to be open");
  const [connector] = descendantsOf(host.pid, new RegExp(marked));
  await killHost(host, connector);
});

test("Go SDK under Sluice: kill -9 of `sluice sync` mid-run ends the connector", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "g.db");
  const host = background(process.execPath, [
    sluiceBin,
    "sync",
    "-c",
    examples.goGenerator,
    "-o",
    '{"count": 1000000000, "sleep_ms_per_page": 100}',
    "--db",
    db,
  ]);
  stopAfter(t, host.child);
  const connector = await childOf(host.pid);
  await until(() => countRows(db, "generator_users") > 0, "rows to arrive");
  await killHost(host, connector);
});

/**
 * Sluice's own launcher (a process group, SLUICE_RUN_ID, the go-plugin cookie) starting `shell` (a connector
 * behind `sh -c`) in a host that never connects: the shell lives on as the connector's parent and no connection
 * ends, so only the named host's end tells. `then` runs in the host once the connector is launched.
 */
function connectorInALauncher(shell: string, then: string): Background {
  const launch = `
    import { ChildGroup } from ${JSON.stringify(join(root, "dist/process/child.js"))};
    const env = { ...process.env, SLUICE_PLUGIN: "7c3e1f5a9b2d4e6f8a0c1b3d5e7f9a2c" };
    const child = ChildGroup.launch({ shell: ${JSON.stringify(shell)} }, { name: "connector", env });
    child.stdout.resume();
    child.stderr.resume();
    ${then}`;
  return background(process.execPath, ["--input-type=module", "-e", launch]);
}

test("Go SDK behind sh -c, its Sluice host killed before connecting: the connector sees SLUICE_RUN_ID's process end and exits", async (t) => {
  const host = connectorInALauncher(examples.goGenerator, "setInterval(() => {}, 60_000);");
  stopAfter(t, host.child);
  const shell = await childOf(host.pid, /^\/bin\/sh -c/);
  const connector = await childOf(shell.pid);
  await killHost(host, connector);
});

for (const [sdk, connector] of [
  ["Go", examples.goGenerator],
  ["TypeScript", `node ${scripted}`],
  ["Python", examples.pythonGitlog],
]) {
  test(`${sdk} SDK behind sh -c, its Sluice host gone before the connector even looked: the connector exits all the same`, async (t) => {
    // The host kills itself right after the launch, so the connector finds SLUICE_RUN_ID naming a process that has
    // ended. Its output goes to /dev/null: a write into the dead host's pipe ends it at times (not always, so not
    // to be relied on), which would hide what is tested. The shell, waiting on it, writes down how it ended.
    const ended = join(tempDir(t), "ended");
    const kill = 'console.log(child.pid); process.kill(process.pid, "SIGKILL");';
    const host = connectorInALauncher(`${connector} >/dev/null 2>&1; echo $? > ${ended}`, kill);
    stopAfter(t, host.child);
    await host.exited;
    const group = Number(host.stdout().trim()); // the shell leads the connector's process group
    t.after(() => {
      try {
        process.kill(-group, "SIGKILL"); // should the connector have lived on
      } catch {}
    });
    await until(() => existsSync(ended) && readFileSync(ended, "utf8").endsWith("\n"), "the connector to exit", 30_000);
    assert.equal(readFileSync(ended, "utf8").trim(), "0", "it ended itself (exit 0), not by a signal");
  });
}

test("Python SDK under Sluice: kill -9 of `sluice sync` mid-read ends the connector", async (t) => {
  const dir = tempDir(t);
  const db = join(dir, "p.db");
  const python = examples.pythonGitlog.split(" ")[0];
  const host = background(process.execPath, [sluiceBin, "sync", "-c", `${python} ${hanging}`, "--db", db]);
  stopAfter(t, host.child);
  await until(() => countRows(db, "hanging_items") > 0, "rows to arrive");
  const [connector] = descendantsOf(host.pid, new RegExp(`^${python} ${hanging}`));
  await killHost(host, connector);
});
