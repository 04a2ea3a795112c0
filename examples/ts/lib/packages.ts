/** Real offline data for the TypeScript examples: the npm packages installed under a folder. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export interface PackageInfo {
  path: string;
  name: string;
  version: string;
  description: string | null;
  license: string | null;
  dependencies: number;
  homepage: string | null;
}

/** Every package.json directly under a node_modules folder, nested ones included. */
export function listPackages(root: string): PackageInfo[] {
  const found: PackageInfo[] = [];
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const dir = join(modules, entry.name);
      const packageDirs = entry.name.startsWith("@") ? readdirSync(dir).map((n) => join(dir, n)) : [dir];
      for (const packageDir of packageDirs) {
        const info = readPackage(root, packageDir);
        if (info) found.push(info);
        visit(join(packageDir, "node_modules"));
      }
    }
  };
  visit(join(root, "node_modules"));
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

function readPackage(root: string, dir: string): PackageInfo | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    const license = manifest.license;
    return {
      path: relative(root, dir),
      name: String(manifest.name ?? ""),
      version: String(manifest.version ?? ""),
      description: typeof manifest.description === "string" ? manifest.description : null,
      license: typeof license === "string" ? license : license ? JSON.stringify(license) : null,
      dependencies: Object.keys((manifest.dependencies as object) ?? {}).length,
      homepage: typeof manifest.homepage === "string" ? manifest.homepage : null,
    };
  } catch {
    return undefined;
  }
}

/** Parses `{"root": …, "page_size": …}`; throws with the option at fault. */
export function parseOptions(raw: string): { root: string; pageSize: number } {
  const options = (raw ? JSON.parse(raw) : {}) as { root?: unknown; page_size?: unknown };
  const root = options.root ?? ".";
  const pageSize = options.page_size ?? 200;
  if (typeof root !== "string") throw new Error('option "root" must be a folder path');
  if (typeof pageSize !== "number" || pageSize < 1) throw new Error('option "page_size" must be a positive number');
  return { root, pageSize };
}
