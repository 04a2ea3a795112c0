/** Private temporary files for a connector's config, catalog and state (mode 0600: configs hold secrets). */
import { writeFileSync } from "node:fs";
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

  remove(): void {
    this.written.clear();
    this.folder.remove();
  }
}
