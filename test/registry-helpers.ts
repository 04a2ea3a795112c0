/**
 * Helpers for the registry tests: a throwaway $SLUICE_HOME per test, a
 * connector source folder (the TypeScript packages example behind a wrapper
 * script, with a node_modules of made-up packages for it to list — so a sync
 * shows which version of the source is installed), manifests, and syncing an
 * installed connector by name into a temporary SQLite file.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { query, type RunResult, root, sluice, tempDir } from "./helpers.js";

export const packagesMain = join(root, "examples/ts/dist/packages/main.js");

type TestContext = { after(fn: () => void): void };

/** Points every `sluice` this test runs at a fresh, empty installation home. */
export function useTempHome(t: TestContext): string {
  const home = join(tempDir(t), "sluice-home");
  process.env.SLUICE_HOME = home;
  return home;
}

/** Writes the wrapper script and one fake package per name under `dir`. */
export function writePackagesConnector(dir: string, packages: string[]): void {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "connector.sh");
  writeFileSync(script, `#!/bin/sh\nexec node ${packagesMain} "$@"\n`);
  chmodSync(script, 0o755);
  for (const name of packages) addPackage(dir, name);
}

export function addPackage(dir: string, name: string, version = "1.0.0"): void {
  mkdirSync(join(dir, "node_modules", name), { recursive: true });
  writeFileSync(join(dir, "node_modules", name, "package.json"), JSON.stringify({ name, version }));
}

export function writeManifest(dir: string, manifest: Record<string, unknown>, file = "manifest.json"): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return path;
}

export function install(location: string, ...args: string[]): Promise<RunResult> {
  return sluice(["connectors", "install", location, "--yes", ...args], { timeoutMs: 300_000 });
}

export async function installOk(
  location: string,
  ...args: string[]
): Promise<{ name: string; version?: string; folder: string; log: string }> {
  const result = await sluice(["--json", "connectors", "install", location, "--yes", ...args], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, `install ${location} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** `sluice sync <name>` into `db`; returns the names of the packages the connector listed (by default, in its own folder). */
export async function syncPackages(name: string, db: string, options: { root?: string } = {}): Promise<string[]> {
  const result = await sluice(["--json", "sync", name, "--options", JSON.stringify(options), "--db", db]);
  assert.equal(result.code, 0, `sync ${name} failed:\n${result.stderr}`);
  const summary = JSON.parse(result.stdout) as { connector: string; streams: Record<string, { table: string }> };
  assert.equal(summary.connector, name);
  return query<{ name: string }>(db, `SELECT name FROM "${summary.streams.packages.table}" ORDER BY name`).map(
    (r) => r.name,
  );
}

export async function listInstalled(): Promise<
  { name: string; status: string; version?: string; folder?: string; manifest: { source: string } }[]
> {
  const result = await sluice(["--json", "connectors", "list"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}
