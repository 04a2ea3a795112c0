/**
 * HTTP sources: one download (redirects followed), its SHA-256 checked
 * against the manifest's `sha256` before anything is unpacked, then either an
 * archive unpacked safely (archive.ts) or a single file saved under its own
 * name and made executable (it is usually the connector's binary or script).
 * An update downloads afresh.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { SluiceError } from "../../errors.js";
import { archiveKind, unpack } from "../archive.js";
import { ChecksumError, FetchError, UnsafeArchiveError } from "../errors.js";
import type { Manifest } from "../manifest.js";
import { stoppedError } from "../run.js";
import { httpGet } from "./http-get.js";
import type { Fetched, FetchContext, SourceFetcher } from "./types.js";

export const httpFetcher: SourceFetcher = {
  planInstall: (manifest, dir) => plan(manifest, dir),
  planUpdate: (manifest, _current, dir) => plan(manifest, dir),
  fetch: download,
  fetchUpdate: (manifest, _current, dir, _pull, context) => download(manifest, dir, context),
};

function plan(manifest: Manifest, dir: string): string[] {
  const check = manifest.sha256 ? `, check its sha256 (${manifest.sha256.slice(0, 12)}…)` : "";
  return [`download ${manifest.uri}${check}, unpack it (or save the single file) into ${dir}`];
}

async function download(manifest: Manifest, dir: string, context: FetchContext): Promise<Fetched> {
  const scratch = `${dir}.download`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    context.log.note(`download ${manifest.uri}`);
    const { file, sha256, bytes, finalUrl } = await saveResponse(manifest.uri, scratch, context);
    context.log.note(
      `downloaded ${bytes} bytes${finalUrl !== manifest.uri ? ` from ${finalUrl}` : ""}, sha256 ${sha256}`,
    );
    if (manifest.sha256 && manifest.sha256 !== sha256) throw new ChecksumError(manifest.uri, manifest.sha256, sha256);
    const kind = archiveKind(file, await readHead(file));
    if (kind) {
      context.log.note(`unpack ${basename(file)} (${kind}) into ${dir}`);
      await unpack(file, kind, dir, { label: manifest.uri, limits: context.limits, signal: context.signal });
    } else {
      await mkdir(dir);
      const target = join(dir, basename(file));
      await rename(file, target);
      await chmod(target, 0o755);
      context.log.note(`saved the single file ${target}`);
    }
    return { version: manifest.version ?? `sha256:${sha256.slice(0, 12)}` };
  } catch (error) {
    if (context.signal.aborted) throw stoppedError(context.signal, `downloading ${manifest.uri}`);
    throw error;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function saveResponse(
  url: string,
  folder: string,
  context: FetchContext,
): Promise<{ file: string; sha256: string; bytes: number; finalUrl: string }> {
  const response = await httpGet(url, context.signal);
  const finalUrl = response.url || url;
  const file = join(folder, fileNameOf(response, finalUrl));
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const max = context.limits.maxBytes;
  if (declared > max) {
    await response.body?.cancel();
    throw new UnsafeArchiveError(
      url,
      `the download is ${declared} bytes, more than the limit of ${max} (raise it with --max-size)`,
    );
  }
  if (!response.body) throw new FetchError(`GET ${url} answered without a body`);
  const hash = createHash("sha256");
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > max)
        return done(
          new UnsafeArchiveError(url, `the download passed the limit of ${max} bytes (raise it with --max-size)`),
        );
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file));
  } catch (error) {
    if (error instanceof SluiceError || context.signal.aborted) throw error;
    throw new FetchError(`downloading ${url} broke off after ${bytes} bytes: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { file, sha256: hash.digest("hex"), bytes, finalUrl };
}

/** The server's name for the file (Content-Disposition), else the last segment of the URL it came from. */
function fileNameOf(response: Response, finalUrl: string): string {
  const disposition = response.headers.get("content-disposition") ?? "";
  const quoted = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
  const fromUrl = new URL(finalUrl).pathname.split("/").filter(Boolean).pop();
  const name = basename(safeDecode(quoted ?? fromUrl ?? "download")).replace(/[^\w.+-]/g, "_");
  return name && name !== "." && name !== ".." ? name : "download";
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, 512, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
