/**
 * The installation home, `$SLUICE_HOME` (default `~/.sluice`):
 *
 *   registry.db                        the index of installations (SQLite)
 *   connectors/<name>/releases/<id>/   a fetched and built source root; the
 *                                      index names the one in use
 *   connectors/<name>/logs/<time>-<action>.log   one log per install/update
 *   connectors/<name>/.lock            held while installing, updating, removing
 *   secret.key                         seals the configs pipelines keep (0600;
 *                                      SLUICE_SECRET_KEY_FILE names another)
 *
 * Each release is built where it will run (nothing is moved after its
 * install_command ran, so absolute paths a build writes — a venv's — stay
 * true); switching releases is one row update in the index.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function sluiceHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SLUICE_HOME?.trim();
  return configured ? resolve(configured) : join(homedir(), ".sluice");
}

/** The key that seals stored configs (src/engine/secret-box.ts): shared by every process that uses one store. */
export function secretKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SLUICE_SECRET_KEY_FILE?.trim();
  return configured ? resolve(configured) : join(sluiceHome(env), "secret.key");
}

export class HomeLayout {
  constructor(readonly root: string) {}

  get indexFile(): string {
    return join(this.root, "registry.db");
  }

  connectorDir(name: string): string {
    return join(this.root, "connectors", name);
  }

  releasesDir(name: string): string {
    return join(this.connectorDir(name), "releases");
  }

  releaseDir(name: string, release: string): string {
    return join(this.releasesDir(name), release);
  }

  logsDir(name: string): string {
    return join(this.connectorDir(name), "logs");
  }

  lockFile(name: string): string {
    return join(this.connectorDir(name), ".lock");
  }
}
