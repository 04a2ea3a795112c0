/** Private temporary files for a connector's config, catalog and state (mode 0600: configs hold secrets). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateFolder } from "../../process/index.js";

export class PrivateFiles {
  private readonly folder = privateFolder("connector");

  write(name: string, text: string): string {
    const path = join(this.folder.path, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  remove(): void {
    this.folder.remove();
  }
}
