/**
 * Private temporary files for a connector's config, catalog and state (mode 0600: configs hold secrets),
 * and the connector's own temporary folder, removed with them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateFolder } from "../../process/index.js";

export class PrivateFiles {
  private readonly folder = privateFolder("connector");
  /** What each file holds. */
  private readonly written = new Map<string, string>();

  /** Writes `text` as `name`, unless it holds that already: a connector started before may be reading it. */
  write(name: string, text: string): string {
    const path = join(this.folder.path, name);
    if (this.written.get(name) === text) return path;
    writeFileSync(path, text, { mode: 0o600 });
    this.written.set(name, text);
    return path;
  }

  /**
   * A folder for the connector's own temporary files (its TMPDIR). The Airbyte Python CDK copies its
   * config, secrets and all, into a temporary folder that only a clean exit removes: a connector stopped
   * by a cancel or a timeout would leave it behind in the system's one.
   */
  tempFolder(): string {
    const path = join(this.folder.path, "tmp");
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return path;
  }

  remove(): void {
    this.written.clear();
    this.folder.remove();
  }
}
