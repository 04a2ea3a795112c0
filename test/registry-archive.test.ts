/**
 * Unpacking archives against the rules of src/registry/archive.ts, called
 * directly on real .tar.gz and .zip files: hard links count against the size
 * limit, symbolic links are judged by where the kernel would really take
 * them (through other links, also when the last part is missing), for tar and
 * zip alike. The HTTP install path around it is in registry-http.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { pack, type Headers } from "tar-stream";
import { type ArchiveKind, unpack } from "../src/registry/archive.js";
import { run, tempDir } from "./helpers.js";

type Entry = Headers & { content?: string };

async function tarball(dir: string, entries: Entry[]): Promise<string> {
  const archive = pack();
  for (const { content = "", ...header } of entries) archive.entry(header, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  const path = join(dir, "archive.tgz");
  writeFileSync(path, gzipSync(Buffer.concat(chunks)));
  return path;
}

/** A zip made by Python's zipfile: regular files, and symbolic links as S_IFLNK entries holding their target. */
async function zipball(dir: string, entries: { name: string; content?: string; symlink?: string }[]): Promise<string> {
  const script = [
    "import json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)",
    "for e in json.loads(sys.argv[2]):",
    "    info = zipfile.ZipInfo(e['name'])",
    "    if 'symlink' in e:",
    "        info.external_attr = 0o120777 << 16",
    "        z.writestr(info, e['symlink'])",
    "    else:",
    "        info.external_attr = 0o100644 << 16",
    "        z.writestr(info, e.get('content', ''))",
    "z.close()",
  ].join("\n");
  const path = join(dir, "archive.zip");
  const made = await run("python3", ["-c", script, path, JSON.stringify(entries)]);
  assert.equal(made.code, 0, made.stderr);
  return path;
}

const MiB = 1024 * 1024;

async function attempt(archive: string, kind: ArchiveKind, dest: string, maxBytes = 10 * MiB): Promise<unknown> {
  return unpack(archive, kind, dest, {
    label: "test-archive",
    limits: { maxBytes, maxEntries: 1000 },
    signal: new AbortController().signal,
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

function assertRefused(outcome: unknown, pattern: RegExp, dest: string): void {
  assert.ok(outcome instanceof Error, "the archive was accepted");
  assert.equal((outcome as { code?: string }).code, "ARCHIVE_UNSAFE");
  assert.match(outcome.message, pattern);
  assert.equal(existsSync(dest), false, "nothing is left in the install folder's place");
}

test("hard links count against the size limit like the file they copy", async (t) => {
  const dir = tempDir(t);
  const body = "x".repeat(400 * 1024);
  const links: Entry[] = ["a", "b", "c"].map((name) => ({ name, type: "link", linkname: "payload" }));
  const archive = await tarball(dir, [{ name: "payload", content: body }, ...links]);
  const dest = join(dir, "out");
  assertRefused(await attempt(archive, "tar.gz", dest, MiB), /unpacks to more than 1048576 bytes/, dest);
  // Within the limit they are copies of the file.
  assert.equal(await attempt(archive, "tar.gz", dest, 2 * MiB), undefined);
  assert.equal(existsSync(join(dest, "c")), true);
});

test("a dangling link is judged by where the kernel would take it: `b -> .` then `evil -> b/b/../../x` is refused", async (t) => {
  for (const kind of ["tar.gz", "zip"] as const) {
    const dir = tempDir(t);
    const entries = [
      { name: "connector.sh", content: "#!/bin/sh\n" },
      { name: "b", symlink: "." },
      { name: "evil", symlink: "b/b/../../x" },
    ];
    const archive =
      kind === "zip"
        ? await zipball(dir, entries)
        : await tarball(
            dir,
            entries.map(({ name, content, symlink }) =>
              symlink === undefined ? { name, content } : { name, type: "symlink", linkname: symlink },
            ),
          );
    const dest = join(dir, "nested", "out");
    assertRefused(
      await attempt(archive, kind, dest),
      /symbolic link "evil" -> "b\/b\/\.\.\/\.\.\/x" points outside the install folder/,
      dest,
    );
  }
});

test("links that stay inside are kept, dangling ones included; loops and climbs past a missing folder are refused", async (t) => {
  const dir = tempDir(t);
  const good = await tarball(dir, [
    { name: "top/", type: "directory" },
    { name: "top/run.sh", content: "#!/bin/sh\n" },
    { name: "top/here", type: "symlink", linkname: "." },
    { name: "top/later", type: "symlink", linkname: "here/build/out.js" },
    { name: "top/lib/", type: "directory" },
    { name: "top/lib/run", type: "symlink", linkname: "../here/run.sh" },
  ]);
  const dest = join(dir, "good");
  assert.equal(await attempt(good, "tar.gz", dest), undefined);
  assert.equal(readlinkSync(join(dest, "later")), "here/build/out.js");
  assert.equal(readlinkSync(join(dest, "lib/run")), "../here/run.sh");

  const loop = await tarball(dir, [
    { name: "run.sh", content: "" },
    { name: "a", type: "symlink", linkname: "b/x" },
    { name: "b", type: "symlink", linkname: "a/y" },
  ]);
  assertRefused(
    await attempt(loop, "tar.gz", join(dir, "loop")),
    /symbolic link "a" -> "b\/x" loops/,
    join(dir, "loop"),
  );

  const pastMissing = await tarball(dir, [
    { name: "run.sh", content: "" },
    { name: "sneaky", type: "symlink", linkname: "missing/../../x" },
  ]);
  const dest3 = join(dir, "missing");
  assertRefused(
    await attempt(pastMissing, "tar.gz", dest3),
    /symbolic link "sneaky" -> "missing\/\.\.\/\.\.\/x" climbs with "\.\." after "missing", which does not exist/,
    dest3,
  );
});
