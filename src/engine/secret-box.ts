/**
 * Configs at rest: what a pipeline remembers of a connector's config (to
 * tell Conduit's lifecycle events "created", "updated" with the config
 * before, or nothing) holds passwords, and the state table sits in a
 * database file anyone with a copy can read. So it is stored sealed:
 * AES-256-GCM under a key kept outside the database (a 0600 file,
 * `$SLUICE_HOME/secret.key` unless SLUICE_SECRET_KEY_FILE names another),
 * bound to the row it belongs to (the row's name is the additional data, so
 * a sealed config cannot be moved to another pipeline's row).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { SluiceError } from "../errors.js";
import { syncFolder } from "../files.js";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    /** Where the key lives, for messages. */
    readonly keyFile: string,
  ) {}

  /** The key in `path`, made (32 random bytes, 0600) the first time; concurrent first runs agree on one key. */
  static fromKeyFile(path: string): SecretBox {
    return new SecretBox(keyFromFile(path), path);
  }

  seal(text: string, row: string): string {
    return `${VERSION}:${sealBytes(this.key, text, row).toString("base64")}`;
  }

  /** The text sealed for `row`, or undefined when this key did not seal it (another SLUICE_HOME, a lost key). */
  open(sealed: string, row: string): string | undefined {
    if (!sealed.startsWith(`${VERSION}:`)) return undefined;
    return openBytes(this.key, Buffer.from(sealed.slice(VERSION.length + 1), "base64"), row);
  }
}

/**
 * AES-256-GCM, as iv ‖ tag ‖ ciphertext: the one sealing both the pipelines'
 * configs and the server's connection secrets use. `boundTo` is additional
 * data: the same value must be given to open it.
 */
export function sealBytes(key: Buffer, text: string, boundTo?: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (boundTo !== undefined) cipher.setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
}

/** The text `sealBytes` sealed, or undefined when the key, the bound value or the bytes differ. */
export function openBytes(key: Buffer, bytes: Buffer, boundTo?: string): string | undefined {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
    if (boundTo !== undefined) decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/** The key in `path`, made (32 random bytes in base64, 0600) the first time; concurrent first runs agree on one key. Shared with the server's secrets. */
export function keyFromFile(path: string): Buffer {
  return readKey(path) ?? createKey(path);
}

function readKey(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SluiceError(
      "SECRET_KEY_UNREADABLE",
      `cannot read the key that seals stored configs, ${path}: ${(error as Error).message}`,
    );
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== KEY_BYTES)
    throw new SluiceError(
      "SECRET_KEY_UNREADABLE",
      `${path} does not hold a key that seals stored configs (expected ${KEY_BYTES} bytes in base64)`,
    );
  return key;
}

/** Written whole to a temp file, then linked into place: a second process either wins the link or reads the winner's key. */
function createKey(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, `${key.toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readKey(path) ?? createKey(path);
  } finally {
    rmSync(temp, { force: true });
    syncFolder(dirname(path));
  }
}
