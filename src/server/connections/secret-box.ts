/**
 * Secrets at rest: AES-256-GCM with one key per installation, taken from
 * SLUICE_SECRET_KEY (32 bytes, base64 or hex) or else from a key file in
 * SLUICE_HOME made on first use (owner-only, 0600). A ciphertext names its
 * key by fingerprint, so a wrong key is reported as such, not as garbage.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { ServerError } from "../errors.js";

export const SECRET_KEY_ENV = "SLUICE_SECRET_KEY";
export const KEY_FILE_NAME = "secret.key";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private readonly fingerprint: string;

  private constructor(
    private readonly key: Buffer,
    /** Where the key came from, for messages. */
    readonly source: string,
  ) {
    this.fingerprint = createHash("sha256").update(key).digest("hex").slice(0, 8);
  }

  /** The installation's key: SLUICE_SECRET_KEY if set, else `<home>/secret.key` (made when missing). */
  static open(home: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
    const given = env[SECRET_KEY_ENV];
    if (given !== undefined && given.trim() !== "")
      return new SecretBox(parseKey(given.trim(), SECRET_KEY_ENV), SECRET_KEY_ENV);
    const file = join(home, KEY_FILE_NAME);
    return new SecretBox(readOrCreateKeyFile(file), file);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return `${VERSION}:${this.fingerprint}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  /** `what` names the secret's owner in errors, e.g. `connection "github"`. */
  decrypt(sealed: string, what: string): string {
    const [version, fingerprint, data] = sealed.split(":");
    if (version !== VERSION || !fingerprint || data === undefined)
      throw new ServerError("SECRET_UNREADABLE", `the secrets of ${what} are not in a format this Sluice reads`);
    if (fingerprint !== this.fingerprint)
      throw new ServerError(
        "SECRET_KEY_MISMATCH",
        `the secrets of ${what} were encrypted with another key (fingerprint ${fingerprint}) than the one in use ` +
          `(${this.fingerprint}, from ${this.source}); set ${SECRET_KEY_ENV} to the key they were made with, or enter them again`,
      );
    const bytes = Buffer.from(data, "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw new ServerError("SECRET_UNREADABLE", `the secrets of ${what} are damaged (authentication failed)`);
    }
  }
}

function parseKey(text: string, where: string): Buffer {
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) key = Buffer.from(text, "base64");
  if (key?.length !== 32)
    throw new ServerError(
      "SECRET_KEY_INVALID",
      `${where} must be a 32-byte key in base64 (44 characters) or hex (64 characters), e.g. from \`openssl rand -base64 32\``,
    );
  return key;
}

function readOrCreateKeyFile(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, `${randomBytes(32).toString("base64")}\n`);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      // Another process made it first: read theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new ServerError(
      "SECRET_KEY_EXPOSED",
      `the key file ${file} can be read by other users (mode ${mode.toString(8)}); run \`chmod 600 ${file}\``,
    );
  return parseKey(readFileSync(file, "utf8").trim(), file);
}
