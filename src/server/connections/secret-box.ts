/**
 * Secrets at rest: AES-256-GCM (the engine's sealBytes) with one key per installation, taken from
 * SLUICE_SECRET_KEY (32 bytes, base64 or hex) or else from the key file the
 * pipelines' sealed configs use too (`<home>/secret.key`, or
 * SLUICE_SECRET_KEY_FILE), read and made on first use by the engine's
 * keyFromFile (owner-only, 0600). A ciphertext names its key by
 * fingerprint, so a wrong key is reported as such, not as garbage.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { keyFromFile, openBytes, sealBytes } from "../../engine/secret-box.js";
import { ServerError } from "../errors.js";

export const SECRET_KEY_ENV = "SLUICE_SECRET_KEY";
export const KEY_FILE_NAME = "secret.key";

const VERSION = "v1";

export class SecretBox {
  private readonly fingerprint: string;

  private constructor(
    private readonly key: Buffer,
    /** Where the key came from, for messages. */
    readonly source: string,
  ) {
    this.fingerprint = createHash("sha256").update(key).digest("hex").slice(0, 8);
  }

  /** The installation's key: SLUICE_SECRET_KEY if set, else the key file (made when missing). */
  static open(home: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
    const given = env[SECRET_KEY_ENV];
    if (given !== undefined && given.trim() !== "")
      return new SecretBox(parseKey(given.trim(), SECRET_KEY_ENV), SECRET_KEY_ENV);
    const configured = env.SLUICE_SECRET_KEY_FILE?.trim();
    const file = configured ? resolve(configured) : join(home, KEY_FILE_NAME);
    refuseExposed(file);
    return new SecretBox(keyFromFile(file), file);
  }

  encrypt(plain: string): string {
    return `${VERSION}:${this.fingerprint}:${sealBytes(this.key, plain).toString("base64")}`;
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
    const plain = openBytes(this.key, Buffer.from(data, "base64"));
    if (plain === undefined)
      throw new ServerError("SECRET_UNREADABLE", `the secrets of ${what} are damaged (authentication failed)`);
    return plain;
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

function refuseExposed(file: string): void {
  if (!existsSync(file)) return;
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new ServerError(
      "SECRET_KEY_EXPOSED",
      `the key file ${file} can be read by other users (mode ${mode.toString(8)}); run \`chmod 600 ${file}\``,
    );
}
