/**
 * Finds a Code Climate connector's main module the way upstream's CLI does:
 * the package `codeclimate-connector-<slug>` from node_modules (walking up
 * from the working folder), or the package in the working folder when its
 * package.json names it; or a path to a package folder or module.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError } from "../../errors.js";

export interface LocatedConnector {
  slug: string;
  /** The package folder. */
  root: string;
  /** The main module. */
  entry: string;
  name: string;
  version: string;
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
}

export class ConnectorNotFoundError extends SluiceError {
  constructor(what: string, looked: string[]) {
    super("CONNECTOR_NOT_FOUND", `no Code Climate connector ${what}; looked in:\n  ${looked.join("\n  ")}`);
  }
}

export const packageNameOf = (slug: string): string => `codeclimate-connector-${slug}`;

function readPackage(folder: string): PackageJson | undefined {
  const file = join(folder, "package.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PackageJson) : undefined;
}

/** The `.` export for import or require, else `main`, else index.js. */
function mainOf(folder: string, pkg: PackageJson): string {
  const dot =
    typeof pkg.exports === "object" && pkg.exports !== null && "." in pkg.exports
      ? (pkg.exports as Record<string, unknown>)["."]
      : pkg.exports;
  const conditional = typeof dot === "object" && dot !== null ? (dot as Record<string, unknown>) : undefined;
  const exported =
    typeof dot === "string"
      ? dot
      : [conditional?.import, conditional?.require, conditional?.default].find((v) => typeof v === "string");
  return resolve(folder, (exported as string | undefined) ?? pkg.main ?? "index.js");
}

function fromFolder(slug: string, folder: string, pkg: PackageJson): LocatedConnector {
  const entry = mainOf(folder, pkg);
  if (!existsSync(entry)) {
    throw new SluiceError(
      "CONNECTOR_NOT_BUILT",
      `Code Climate connector ${pkg.name ?? folder}: its main module ${entry} does not exist (is the package built? e.g. npm run build)`,
    );
  }
  return { slug, root: folder, entry, name: pkg.name ?? slug, version: pkg.version ?? "0.0.0" };
}

/** `target` is a slug, or a path to a package folder or a module file. */
export function locateConnector(target: string, cwd: string = process.cwd()): LocatedConnector {
  if (target.includes("/") || target.startsWith(".")) {
    const path = resolve(cwd, target);
    if (!existsSync(path)) throw new ConnectorNotFoundError(`at ${path}`, [path]);
    if (statSync(path).isFile()) {
      const slug = fileSlug(path);
      return { slug, root: dirname(path), entry: path, name: slug, version: "0.0.0" };
    }
    const pkg = readPackage(path);
    if (!pkg) throw new ConnectorNotFoundError(`at ${path} (no package.json)`, [path]);
    return fromFolder(slugOf(pkg.name) ?? target, path, pkg);
  }
  const name = packageNameOf(target);
  const looked: string[] = [];
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const candidate = join(folder, "node_modules", name);
    looked.push(candidate);
    const pkg = readPackage(candidate);
    if (pkg) return fromFolder(target, candidate, pkg);
    if (dirname(folder) === folder) break;
  }
  const own = readPackage(cwd);
  looked.push(`${join(cwd, "package.json")} (when its name is ${name})`);
  if (own?.name === name) return fromFolder(target, resolve(cwd), own);
  throw new ConnectorNotFoundError(`named "${target}" (package ${name})`, looked);
}

/** `…/codeclimate-git/main.js` → "codeclimate-git"; `…/pagerduty.js` → "pagerduty". */
function fileSlug(path: string): string {
  const stem = basename(path, extname(path));
  return ["main", "index"].includes(stem) ? basename(dirname(path)) : stem;
}

function slugOf(packageName: string | undefined): string | undefined {
  return packageName?.startsWith("codeclimate-connector-")
    ? packageName.slice("codeclimate-connector-".length)
    : packageName;
}

/**
 * The folder of the `codeclimate-connector-sdk` package Sluice builds
 * (scripts/build-codeclimate-sdk.mjs): what connector authors install to
 * build and test against Sluice's SDK.
 */
export function sdkPackageFolder(): string {
  const folder = fileURLToPath(new URL("../../../dist/codeclimate-connector-sdk", import.meta.url));
  if (!existsSync(join(folder, "package.json")))
    throw new SluiceError(
      "CONNECTOR_NOT_BUILT",
      `Sluice's codeclimate-connector-sdk package is not built (${folder}): run npm run build in Sluice's folder`,
    );
  return folder;
}
