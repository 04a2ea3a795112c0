/**
 * libpq's password file, read by Sluice: `passfile` in the URL, else PGPASSFILE, else ~/.pgpass.
 * node-postgres's own reading of it is deprecated (each use printed a DeprecationWarning to the
 * user's terminal, and pg 9 drops it) and knows no `passfile`. As libpq reads it: lines
 * `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaping, `#` comments;
 * the first line that matches gives the password; a Unix-socket connection matches `localhost`;
 * a file other users can read is skipped. settings.ts hands the driver `passwordFor` where no
 * password is given otherwise; the driver asks it only when the server asks for a password.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../types.js";
import { type ConnectionTarget, describeServer } from "./describe.js";

/** What the driver knows of the connection when it asks for the password. */
interface Asking extends ConnectionTarget {
  host: string;
  port: number;
  database: string | null;
  user: string;
}

/** The password file `passfile` (the URL's) or libpq's variable or default names. */
export function passwordFile(passfile: string | null): string {
  return passfile || process.env.PGPASSFILE || join(homedir(), ".pgpass");
}

/**
 * The driver's password function over `file`: the password of the first line matching the
 * connection, or an error naming the server (of store `display`), why there is none, and what to do.
 */
export function passwordFor(file: string, display: string): (asking: Asking) => string {
  const none = (asking: Asking, reason: string) =>
    new StoreError(
      display,
      `${describeServer(asking)}: the server asks for a password and none was given: ${reason}`,
      undefined,
      "STORE_AUTH_FAILED",
    );
  return (asking) => {
    const read = readLines(file);
    if ("unread" in read) throw none(asking, read.unread);
    const wanted = [
      !asking.host || asking.host.startsWith("/") ? "localhost" : asking.host,
      String(asking.port),
      asking.database ?? asking.user,
      asking.user,
    ];
    for (const line of read.lines) {
      const fields = splitFields(line);
      if (fields.length < 5) continue;
      if (wanted.every((value, index) => fields[index] === "*" || fields[index] === value)) return fields[4]!;
    }
    throw none(
      asking,
      `no line of ${file} matches the connection: set PGPASSWORD, or add the line ${wanted.map(escapeField).join(":")}:<password> to ${file} (chmod 600)`,
    );
  };
}

/** The file's lines, or why it is not read (missing, or readable by others and so skipped). */
function readLines(file: string): { lines: string[] } | { unread: string } {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return { unread: `set PGPASSWORD, or give it in ${file} (host:port:database:user:password, chmod 600)` };
  }
  if ((mode & 0o077) !== 0)
    return { unread: `${file} was skipped because other users can read it (chmod 600 ${file})` };
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  return { lines: lines.filter((line) => line !== "" && !line.startsWith("#")) };
}

/** A line's fields, split at the colons no backslash escapes, with `\:` and `\\` unescaped. */
function splitFields(line: string): string[] {
  const fields = [""];
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === "\\" && i + 1 < line.length) fields[fields.length - 1] += line[++i];
    else if (char === ":" && fields.length < 5) fields.push("");
    else fields[fields.length - 1] += char;
  }
  return fields;
}

const escapeField = (field: string) => field.replace(/[\\:]/g, (char) => `\\${char}`);
