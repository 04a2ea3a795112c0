/**
 * Safe unpacking of downloaded archives (.tar.gz/.tgz, .tar, .zip). One set
 * of rules for every format, enforced here rather than left to a library's
 * defaults (which skip bad entries with a warning instead of refusing):
 *   - no absolute paths and no ".." segments: nothing lands outside the folder;
 *   - symbolic links are created last (no entry is ever written through one)
 *     and each must resolve inside the folder, judged the way the kernel
 *     follows it (through other links), not by its text;
 *   - hard links must name a file of the archive (they are copied, and each
 *     copy counts against the size limit);
 *   - devices and fifos are refused;
 *   - the unpacked size and the number of entries are limited.
 * An archive holding a single top-level folder (as GitHub's do) is unpacked
 * from inside that folder, so `command` paths are relative to the content.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, lstat, mkdir, readdir, readlink, realpath, rename, rm, symlink } from "node:fs/promises";
import { dirname, join, posix, relative, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type yauzl from "yauzl";
import { messageOf, SluiceError } from "../errors.js";
import { FetchError, UnsafeArchiveError } from "./errors.js";
import { stoppedError } from "./run.js";

export type ArchiveKind = "tar.gz" | "tar" | "zip";

export interface UnpackLimits {
  /** Largest total unpacked size, in bytes. */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_MAX_ENTRIES = 100_000;
/** Linux's limit on links followed in one path walk (ELOOP beyond it). */
const MAX_LINK_HOPS = 40;

/** Which archive a downloaded file is: by its name first, then by its first bytes. */
export function archiveKind(fileName: string, head: Buffer): ArchiveKind | undefined {
  const name = fileName.toLowerCase();
  if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) return "tar.gz";
  if (name.endsWith(".tar")) return "tar";
  if (name.endsWith(".zip")) return "zip";
  if (head[0] === 0x1f && head[1] === 0x8b) return "tar.gz";
  if (head.subarray(0, 4).equals(Buffer.from("PK\x03\x04", "latin1"))) return "zip";
  if (head.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  return undefined;
}

/**
 * Unpacks `archive` into the folder `dest` (which must not exist yet).
 * `label` names the archive in messages (its URL).
 */
export async function unpack(
  archive: string,
  kind: ArchiveKind,
  dest: string,
  options: { label: string; limits: UnpackLimits; signal: AbortSignal },
): Promise<void> {
  const scratch = `${dest}.unpack`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const tree = new SafeTree(scratch, options.label, options.limits, options.signal);
  try {
    if (kind === "zip") await readZip(archive, tree);
    else await readTar(archive, kind === "tar.gz", tree);
    await rename(await tree.finish(), dest);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Where the entries of an archive go, and the rules they must keep. */
class SafeTree {
  private bytes = 0;
  private entries = 0;
  private readonly written = new Set<string>();
  private readonly symlinks: { path: string; target: string }[] = [];
  private readonly hardlinks: { path: string; target: string }[] = [];

  constructor(
    private readonly root: string,
    private readonly label: string,
    private readonly limits: UnpackLimits,
    private readonly signal: AbortSignal,
  ) {}

  /** The entry's path inside the folder, or an UnsafeArchiveError; "" for the root itself. */
  relativePath(name: string): string {
    if (name.includes("\0")) throw this.unsafe(`entry ${JSON.stringify(name)} has a NUL byte in its name`);
    if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name)) throw this.unsafe(`entry "${name}" has an absolute path`);
    const segments = name.split("/").filter((s) => s !== "" && s !== ".");
    if (segments.includes("..")) throw this.unsafe(`entry "${name}" climbs out of the install folder with ".."`);
    return segments.join("/");
  }

  async directory(name: string): Promise<void> {
    await this.makeFolder(this.admit(name, 0));
  }

  async file(name: string, mode: number, declaredSize: number, content: AsyncIterable<unknown>): Promise<void> {
    const path = this.admit(name, declaredSize);
    if (!path) throw this.unsafe(`entry "${name}" is a file in place of the folder itself`);
    await this.makeFolder(posix.dirname(path), path);
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.bytes += chunk.length;
        done(this.bytes > this.limits.maxBytes ? this.tooBig() : null, chunk);
      },
    });
    // Only executable bits survive: no setuid, no world-writable files.
    await pipeline(content, counter, createWriteStream(join(this.root, path), { mode: mode & 0o111 ? 0o755 : 0o644 }));
    this.written.add(path);
  }

  symlink(name: string, target: string): void {
    const path = this.admit(name, 0);
    if (target.startsWith("/")) throw this.unsafe(`symbolic link "${name}" points to the absolute path "${target}"`);
    this.symlinks.push({ path, target });
  }

  hardlink(name: string, target: string): void {
    this.hardlinks.push({ path: this.admit(name, 0), target: this.relativePath(target) });
  }

  refuse(name: string, type: string): never {
    throw this.unsafe(`entry "${name}" is a ${type}, which an install folder has no use for`);
  }

  /** Makes the links, drops a single top-level folder, and returns the folder that holds the content. */
  async finish(): Promise<string> {
    for (const { path, target } of this.hardlinks) {
      if (!this.written.has(target))
        throw this.unsafe(`hard link "${path}" points to "${target}", which is not a file of the archive`);
      // A copy takes the space of the file again: a thousand links to one large file must not pass as nothing.
      this.bytes += (await lstat(join(this.root, target))).size;
      if (this.bytes > this.limits.maxBytes) throw this.tooBig();
      await this.makeFolder(posix.dirname(path), path);
      await copyFile(join(this.root, target), join(this.root, path));
    }
    const content = await this.contentRoot();
    for (const { path, target } of this.symlinks) {
      await this.makeFolder(posix.dirname(path), path);
      try {
        await symlink(target, join(this.root, path));
      } catch (error) {
        throw this.unsafe(`symbolic link "${path}" cannot be made: ${messageOf(error)}`);
      }
    }
    await this.checkSymlinks(content);
    return content;
  }

  /**
   * Makes a folder of the archive one level at a time, refusing to go
   * through a symbolic link (one made earlier could point anywhere) or a file.
   */
  private async makeFolder(path: string, entry = path): Promise<void> {
    let dir = this.root;
    for (const segment of path.split("/").filter((s) => s !== "" && s !== ".")) {
      dir = join(dir, segment);
      const info = await lstat(dir).catch(() => undefined);
      if (!info) await mkdir(dir);
      else if (info.isSymbolicLink())
        throw this.unsafe(`entry "${entry}" lies under the symbolic link "${relative(this.root, dir)}"`);
      else if (!info.isDirectory())
        throw this.unsafe(`entry "${entry}" lies under "${relative(this.root, dir)}", which is a file`);
    }
  }

  private admit(name: string, declaredSize: number): string {
    if (this.signal.aborted) throw stoppedError(this.signal, `unpacking ${this.label}`);
    if (++this.entries > this.limits.maxEntries)
      throw this.unsafe(`it has more than ${this.limits.maxEntries} entries`);
    if (this.bytes + declaredSize > this.limits.maxBytes) throw this.tooBig();
    return this.relativePath(name);
  }

  /** The single top-level folder, if that is all there is (links are not made yet: count them in). */
  private async contentRoot(): Promise<string> {
    const top = new Set([...(await readdir(this.root)), ...this.symlinks.map((link) => link.path.split("/")[0])]);
    if (top.size !== 1) return this.root;
    const only = join(this.root, [...top][0]);
    const isFolder = await lstat(only).then(
      (info) => info.isDirectory(),
      () => false,
    );
    return isFolder ? only : this.root;
  }

  /** Every link must resolve inside `content`, also through other links (`a -> .`, `b -> a/..`). */
  private async checkSymlinks(content: string): Promise<void> {
    const inside = await realpath(content);
    for (const { path, target } of this.symlinks) {
      const at = join(this.root, path);
      const resolved = await this.follow(await realpath(dirname(at)), target, { link: path, target, hops: 0 });
      if (resolved !== inside && !resolved.startsWith(inside + sep)) {
        throw this.unsafe(`symbolic link "${path}" -> "${target}" points outside the install folder`);
      }
    }
  }

  /**
   * Where `target`, read from the real folder `from`, leads: one part at a
   * time as the kernel walks it, following every link on the way, so that
   * `b -> .` makes `b/b/../../x` climb two levels above the folder (text
   * alone says it stays inside). A dangling link ends the walk at its first
   * missing part; the rest is text, and a ".." after a missing part is
   * refused, since what it climbs from could still be made a link.
   */
  private async follow(from: string, target: string, walk: { link: string; target: string; hops: number }) {
    let at = from;
    const parts = target.split("/").filter((part) => part !== "" && part !== ".");
    for (const [index, part] of parts.entries()) {
      if (part === "..") {
        at = dirname(at);
        continue;
      }
      const next = join(at, part);
      const info = await lstat(next).catch(() => undefined);
      if (!info) {
        const rest = parts.slice(index + 1);
        if (rest.includes(".."))
          throw this.unsafe(
            `symbolic link "${walk.link}" -> "${walk.target}" climbs with ".." after "${part}", which does not exist`,
          );
        return join(next, ...rest);
      }
      if (!info.isSymbolicLink()) {
        at = next;
        continue;
      }
      if (++walk.hops > MAX_LINK_HOPS) throw this.unsafe(`symbolic link "${walk.link}" -> "${walk.target}" loops`);
      const link = await readlink(next);
      at = await this.follow(link.startsWith("/") ? "/" : at, link, walk);
    }
    return at;
  }

  private tooBig(): UnsafeArchiveError {
    return this.unsafe(`it unpacks to more than ${this.limits.maxBytes} bytes (the limit; raise it with --max-size)`);
  }

  unsafe(problem: string): UnsafeArchiveError {
    return new UnsafeArchiveError(this.label, problem);
  }
}

// The archive libraries load only when an archive is unpacked, not with every command that reads the registry.
async function readTar(archive: string, gzipped: boolean, tree: SafeTree): Promise<void> {
  const { extract } = await import("tar-stream");
  const extractor = extract();
  const input = createReadStream(archive);
  const stream = gzipped ? input.pipe(createGunzip()) : input;
  const fail = (error: Error) => extractor.destroy(error);
  input.on("error", fail);
  stream.on("error", fail);
  stream.pipe(extractor);
  try {
    for await (const entry of extractor) {
      const { name, type, mode = 0o644, size = 0, linkname } = entry.header;
      if (type === "file" || type === "contiguous-file") {
        await tree.file(name, mode, size, entry);
        continue;
      }
      if (type === "directory") await tree.directory(name);
      else if (type === "symlink") tree.symlink(name, linkname ?? "");
      else if (type === "link") tree.hardlink(name, linkname ?? "");
      else tree.refuse(name, type ?? "special file");
      entry.resume();
    }
  } catch (error) {
    throw asFormatError(error, archive, gzipped ? "tar.gz" : "tar");
  } finally {
    input.destroy();
  }
}

async function readZip(archive: string, tree: SafeTree): Promise<void> {
  const { default: zipFiles } = await import("yauzl");
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    zipFiles.open(
      archive,
      { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true },
      (error, file) => (error ? reject(asFormatError(error, archive, "zip")) : resolve(file)),
    ),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("error", (error: Error) => reject(zipError(error, tree, archive)));
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        readZipEntry(zip, entry, tree).then(() => zip.readEntry(), reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MAX_LINK_TARGET = 4096;

async function readZipEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, tree: SafeTree): Promise<void> {
  if (entry.fileName.endsWith("/")) return tree.directory(entry.fileName);
  const unixMode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const content = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
  if ((unixMode & S_IFMT) === S_IFLNK) {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of content) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length > MAX_LINK_TARGET)
        throw tree.unsafe(`symbolic link "${entry.fileName}" has a target longer than ${MAX_LINK_TARGET} bytes`);
    }
    return tree.symlink(entry.fileName, Buffer.concat(chunks).toString("utf8"));
  }
  return tree.file(entry.fileName, unixMode & 0o777, entry.uncompressedSize, content);
}

/** yauzl checks names itself; say it the way the tree does. */
function zipError(error: Error, tree: SafeTree, archive: string): unknown {
  const name = /^(?:absolute path|invalid relative path): (.*)$/.exec(error.message)?.[1];
  if (name !== undefined) {
    try {
      tree.relativePath(name);
    } catch (unsafe) {
      return unsafe;
    }
  }
  return asFormatError(error, archive, "zip");
}

/** Our own errors (unsafe entries, the deadline) as they are; anything else means a broken archive. */
function asFormatError(error: unknown, archive: string, kind: ArchiveKind): unknown {
  if (error instanceof SluiceError) return error;
  return new FetchError(`cannot unpack ${archive} as ${kind}: ${messageOf(error)}`, { cause: error });
}
