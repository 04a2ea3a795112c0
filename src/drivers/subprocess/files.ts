/** Private temporary files for a connector's config, catalog and state (mode 0600: configs hold secrets). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class PrivateFiles {
  private readonly folder = mkdtempSync(join(tmpdir(), "sluice-connector-"));

  write(name: string, text: string): string {
    const path = join(this.folder, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }
}
