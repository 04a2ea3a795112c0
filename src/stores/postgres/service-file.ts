/**
 * libpq's connection service file (pg_service.conf), which the driver does not read: a section per
 * service name, each a list of libpq's `keyword=value` settings (host, port, dbname, user, sslmode…).
 * The user's file (PGSERVICEFILE, else ~/.pg_service.conf) is searched first, then the system's
 * (pg_service.conf in PGSYSCONFDIR, else in /etc/postgresql-common, where Debian's libpq looks).
 * servers.ts fills in what a URL leaves out from the service it names.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { StoreLocationError } from "../types.js";

/** Debian's (and Ubuntu's) libpq looks for the system's service file here. */
const SYSTEM_CONFIG_FOLDER = "/etc/postgresql-common";

/** The service's settings (keyword → value, in the file's order), or an error naming the files searched. */
export function serviceSettings(name: string, display: string): Map<string, string> {
  const files = [
    ...new Set([
      process.env.PGSERVICEFILE || join(homedir(), ".pg_service.conf"),
      join(process.env.PGSYSCONFDIR || SYSTEM_CONFIG_FOLDER, "pg_service.conf"),
    ]),
  ];
  for (const file of files) {
    const found = readSection(file, name, display);
    if (found) return found;
  }
  throw new StoreLocationError(
    `store ${display}: service "${name}" (service= in the URL, or PGSERVICE) is defined in none of ${files.join(", ")}: ` +
      `add a [${name}] section with its settings (host=…, port=…, dbname=…, user=…), or name the server in --db`,
  );
}

/** The settings of section `name` in `file`; undefined where the file or the section is missing. */
function readSection(file: string, name: string, display: string): Map<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let section: Map<string, string> | undefined;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const heading = /^\[(.*)\]$/.exec(line);
    if (heading) {
      if (section) return section;
      if (heading[1] === name) section = new Map();
      continue;
    }
    if (!section) continue;
    const equals = line.indexOf("=");
    const keyword = equals > 0 ? line.slice(0, equals).trim() : "";
    if (keyword === "" || keyword === "service")
      throw new StoreLocationError(
        `store ${display}: ${file} line ${index + 1} (service "${name}"): ` +
          (keyword === "service" ? "a service cannot name another service" : "give a setting as keyword=value"),
      );
    section.set(keyword, line.slice(equals + 1).trim());
  }
  return section;
}
