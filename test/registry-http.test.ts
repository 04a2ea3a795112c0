/**
 * HTTP installs from a real loopback server (node:http on 127.0.0.1, port 0):
 * a tarball built in the test, reached through a redirect and checked by
 * sha256, then synced; a zip; a single file; a manifest fetched by URL; and
 * the refusals: a checksum mismatch, HTTP errors, unsafe archives, the size limit.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { pack, type Headers } from "tar-stream";
import { run, sluice, tempDir } from "./helpers.js";
import {
  addPackage,
  install,
  installOk,
  listInstalled,
  packagesMain,
  syncPackages,
  useTempHome,
  writeManifest,
} from "./registry-helpers.js";

type Entry = Headers & { content?: string };

async function tarball(entries: Entry[]): Promise<Buffer> {
  const archive = pack();
  for (const { content = "", ...header } of entries) archive.entry(header, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const wrapper = `#!/bin/sh\nexec node ${packagesMain} "$@"\n`;
const pkg = (name: string) => JSON.stringify({ name, version: "2.0.0" });

/** A connector as GitHub serves archives: everything under one top-level folder. */
const connectorEntries = (top: string): Entry[] => [
  { name: `${top}/`, type: "directory" },
  { name: `${top}/connector.sh`, content: wrapper, mode: 0o755 },
  { name: `${top}/node_modules/gamma/package.json`, content: pkg("gamma") },
  { name: `${top}/node_modules/delta/package.json`, content: pkg("delta") },
  { name: `${top}/docs/link-to-script`, type: "symlink", linkname: "../connector.sh" },
  { name: `${top}/bin/run`, type: "link", linkname: `${top}/connector.sh` },
];

interface Route {
  status?: number;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

async function serve(t: { after(fn: () => void): void }, routes: Record<string, Route>): Promise<string> {
  const server: Server = createServer((request, response) => {
    const route = routes[request.url ?? ""] ?? { status: 404, body: "not found" };
    response.writeHead(route.status ?? 200, route.headers);
    response.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on: one just released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

test("HTTP: a tarball behind a redirect, sha256 checked, unpacked from its top folder, synced; update downloads afresh", async (t) => {
  useTempHome(t);
  const archive = await tarball(connectorEntries("connector-1.2.0"));
  const routes: Record<string, Route> = {
    "/releases/latest.tgz": { status: 302, headers: { location: "/files/connector-1.2.0.tar.gz" } },
    "/files/connector-1.2.0.tar.gz": { body: archive },
  };
  const base = await serve(t, routes);
  const manifest = {
    name: "web",
    source: "HTTP",
    uri: `${base}/releases/latest.tgz`,
    sha256: sha256(archive),
    version: "1.2.0",
    install_command: "test -x connector.sh && test -L docs/link-to-script && test -x bin/run",
    command: "./connector.sh",
  };
  routes["/manifest.json"] = { body: JSON.stringify(manifest) };
  const db = join(tempDir(t), "data.db");

  const installed = await installOk(`${base}/manifest.json`);
  assert.equal(installed.version, "1.2.0");
  assert.match(
    readFileSync(installed.log, "utf8"),
    /downloaded \d+ bytes from http:\/\/127\.0\.0\.1:\d+\/files\/connector-1\.2\.0\.tar\.gz, sha256 /,
  );
  assert.deepEqual(await syncPackages("web", db), ["delta", "gamma"]);

  const next = await tarball([
    ...connectorEntries("connector-1.3.0"),
    { name: "connector-1.3.0/node_modules/epsilon/package.json", content: pkg("epsilon") },
  ]);
  routes["/files/connector-1.2.0.tar.gz"] = { body: next };
  const mismatch = await sluice(["connectors", "update", "web", "--yes"]);
  assert.equal(mismatch.code, 1);
  assert.match(
    mismatch.stderr,
    new RegExp(
      `sha256 of ${base}/releases/latest\\.tgz is ${sha256(next)}, but the manifest's "sha256" says ${sha256(archive)}: the file is not the one the manifest describes`,
    ),
  );
  assert.match(mismatch.stderr, /"web" still runs the installation it had \(version 1\.2\.0\)/);
  assert.deepEqual(await syncPackages("web", db), ["delta", "gamma"]);

  const unchecked = writeManifest(tempDir(t), {
    ...manifest,
    name: "web-latest",
    sha256: undefined,
    version: undefined,
  });
  const latest = await installOk(unchecked);
  assert.equal(
    latest.version,
    `sha256:${sha256(next).slice(0, 12)}`,
    "without a version, the digest names what was installed",
  );
  assert.deepEqual(await syncPackages("web-latest", db), ["delta", "epsilon", "gamma"]);
});

test("HTTP: a zip archive, and a single file saved under its name and made executable", async (t) => {
  useTempHome(t);
  const dir = tempDir(t);
  writeFileSync(
    join(dir, "make_zip.py"),
    [
      "import sys, zipfile",
      "z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)",
      "info = zipfile.ZipInfo('connector.sh'); info.external_attr = 0o100755 << 16",
      "z.writestr(info, sys.argv[2])",
      'z.writestr(\'node_modules/zeta/package.json\', \'{"name": "zeta", "version": "1.0.0"}\')',
      "z.close()",
    ].join("\n"),
  );
  const zipFile = join(dir, "connector.zip");
  const made = await run("python3", [join(dir, "make_zip.py"), zipFile, wrapper]);
  assert.equal(made.code, 0, made.stderr);
  const base = await serve(t, {
    "/connector.zip": { body: readFileSync(zipFile) },
    "/download?id=7": { body: wrapper, headers: { "content-disposition": 'attachment; filename="run-packages.sh"' } },
  });
  const db = join(tempDir(t), "data.db");
  await installOk(
    writeManifest(dir, { name: "zipped", source: "HTTP", uri: `${base}/connector.zip`, command: "./connector.sh" }),
  );
  assert.deepEqual(await syncPackages("zipped", db), ["zeta"]);

  const single = await installOk(
    writeManifest(
      dir,
      { name: "single", source: "HTTP", uri: `${base}/download?id=7`, command: "./run-packages.sh" },
      "single.json",
    ),
  );
  assert.equal(readFileSync(join(single.folder, "run-packages.sh"), "utf8"), wrapper);
  const elsewhere = tempDir(t);
  addPackage(elsewhere, "eta");
  assert.deepEqual(await syncPackages("single", db, { root: elsewhere }), ["eta"]);
});

test("HTTP: unsafe archives, HTTP errors and the size limit are refused, and nothing is installed", async (t) => {
  const home = useTempHome(t);
  const escaping = await tarball([
    { name: "connector.sh", content: wrapper, mode: 0o755 },
    { name: "../../escaped.sh", content: "echo gotcha" },
  ]);
  const absolute = await tarball([{ name: "/tmp/sluice-absolute-entry", content: "x" }]);
  const linkOut = await tarball([
    { name: "connector.sh", content: wrapper },
    { name: "secrets", type: "symlink", linkname: "../../../../etc/passwd" },
  ]);
  const linkAbsolute = await tarball([
    { name: "connector.sh", content: wrapper },
    { name: "passwd", type: "symlink", linkname: "/etc/passwd" },
  ]);
  const throughLink = await tarball([
    { name: "connector.sh", content: wrapper },
    { name: "up", type: "symlink", linkname: ".." },
    { name: "up/planted", type: "symlink", linkname: "x" },
  ]);
  const chained = await tarball([
    { name: "connector.sh", content: wrapper },
    { name: "here", type: "symlink", linkname: "." },
    { name: "parent", type: "symlink", linkname: "here/.." },
  ]);
  const device = await tarball([{ name: "null", type: "character-device", devmajor: 1, devminor: 3 }]);
  const big = await tarball([{ name: "connector.sh", content: "x".repeat(3 * 1024 * 1024) }]);
  const base = await serve(t, {
    "/escaping.tgz": { body: escaping },
    "/absolute.tgz": { body: absolute },
    "/link-out.tgz": { body: linkOut },
    "/link-absolute.tgz": { body: linkAbsolute },
    "/through-link.tgz": { body: throughLink },
    "/chained.tgz": { body: chained },
    "/device.tgz": { body: device },
    "/big.tgz": { body: big },
    "/broken.tgz": { body: "this is not gzip" },
    "/gone.tgz": { status: 410, body: "gone" },
    "/error.tgz": { status: 500, body: "oops" },
  });
  const dir = tempDir(t);
  const attempt = async (file: string, ...args: string[]) => {
    const manifest = writeManifest(dir, {
      name: "bad",
      source: "HTTP",
      uri: `${base}/${file}`,
      install_command: "touch INSTALLED",
      command: "./connector.sh",
    });
    const result = await install(manifest, ...args);
    assert.equal(result.code, 1, `${file} was accepted:\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /==> touch INSTALLED/, "the install command never ran");
    return result.stderr;
  };
  assert.match(
    await attempt("escaping.tgz"),
    /refusing to unpack http:\S+\/escaping\.tgz: entry "\.\.\/\.\.\/escaped\.sh" climbs out of the install folder with "\.\."; nothing was installed/,
  );
  assert.match(await attempt("absolute.tgz"), /entry "\/tmp\/sluice-absolute-entry" has an absolute path/);
  assert.match(
    await attempt("link-out.tgz"),
    /symbolic link "secrets" -> "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" points outside the install folder/,
  );
  assert.match(
    await attempt("link-absolute.tgz"),
    /symbolic link "passwd" points to the absolute path "\/etc\/passwd"/,
  );
  assert.match(await attempt("through-link.tgz"), /entry "up\/planted" lies under the symbolic link "up"/);
  assert.match(
    await attempt("chained.tgz"),
    /symbolic link "parent" -> "here\/\.\." points outside the install folder/,
  );
  assert.match(await attempt("device.tgz"), /entry "null" is a character-device/);
  assert.match(
    await attempt("big.tgz", "--max-size", "1"),
    /it unpacks to more than 1048576 bytes \(the limit; raise it with --max-size\)/,
  );
  assert.match(await attempt("broken.tgz"), /cannot unpack .*broken\.tgz as tar\.gz: incorrect header check/);
  assert.match(
    await attempt("gone.tgz"),
    /GET http:\S+\/gone\.tgz answered HTTP 410 Gone; check the URL in the manifest's "uri"/,
  );
  assert.match(await attempt("error.tgz"), /answered HTTP 500 Internal Server Error/);
  const closed = `http://127.0.0.1:${await closedPort()}/x.tgz`;
  const refused = await install(writeManifest(dir, { name: "closed", source: "HTTP", uri: closed, command: "./x" }));
  assert.match(refused.stderr, /cannot GET http:\/\/127\.0\.0\.1:\d+\/x\.tgz: connect ECONNREFUSED/);
  assert.equal(readFileSync(join(home, "registry.db")).length > 0, true);
  assert.deepEqual(
    (await listInstalled()).map((i) => [i.name, i.status]),
    [
      ["bad", "install failed"],
      ["closed", "install failed"],
    ],
  );
});
