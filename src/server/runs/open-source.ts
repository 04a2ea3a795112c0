/**
 * TEMPORARY — to be replaced by the engine's one function that opens any
 * installed connector with its recorded protocol (issue 17, `engine`). Until
 * then the server runs installed go-plugin connectors (native and c1-core),
 * detected the way `sluice sync <name>` does.
 */
import { openConnector, type SourceDriver } from "../../engine/index.js";
import type { Logger } from "../../logging.js";
import { Registry } from "../../registry/index.js";

export async function openInstalledSource(name: string, logger: Logger, home?: string): Promise<SourceDriver> {
  const registry = Registry.open(home);
  let runnable: ReturnType<Registry["runnable"]>;
  try {
    runnable = registry.runnable(name);
  } finally {
    registry.close();
  }
  return openConnector({
    name,
    command: { shell: runnable.command },
    cwd: runnable.cwd,
    protocol: "auto",
    logger,
  });
}
