/**
 * A connection's connector installed on a worker the first time that worker
 * runs it: from the connection's manifest, into the worker's own installation
 * home, exactly as `sluice connectors install` does. A failed install fails
 * the sync with the install's own error (and its log), not a vaguer one later.
 */
import { detectProtocol } from "../engine/index.js";
import { messageOf, SluiceError } from "../errors.js";
import type { Logger } from "../logging.js";
import { InstallFailedError, loadManifest, NotInstalledError, Registry } from "../registry/index.js";

const INSTALL_TIMEOUT_SECONDS = 600;
const INSTALL_MAX_BYTES = 1024 * 1024 * 1024;

/** Installs in progress in this process, by home and name: two syncs of one connector wait for the same install. */
const installing = new Map<string, Promise<void>>();

export async function ensureInstalled(
  connector: string,
  manifest: string | undefined,
  options: { home?: string; logger: Logger; signal?: AbortSignal },
): Promise<void> {
  if (manifest === undefined || isInstalled(connector, options.home)) return;
  const key = `${options.home ?? ""}\0${connector}`;
  let pending = installing.get(key);
  if (!pending) {
    pending = install(connector, manifest, options).finally(() => installing.delete(key));
    installing.set(key, pending);
  }
  await pending;
}

function isInstalled(connector: string, home?: string): boolean {
  const registry = Registry.open(home);
  try {
    registry.get(connector);
    return true;
  } catch (error) {
    if (error instanceof NotInstalledError) return false;
    throw error;
  } finally {
    registry.close();
  }
}

async function install(
  connector: string,
  manifest: string,
  options: { home?: string; logger: Logger; signal?: AbortSignal },
): Promise<void> {
  const { logger, signal } = options;
  logger.info(`installing connector "${connector}" on this worker from ${manifest}`);
  const registry = Registry.open(options.home);
  try {
    const plan = registry.planInstall(await loadManifest(manifest, { signal }), connector);
    const outcome = await registry.install(plan, {
      timeoutSeconds: INSTALL_TIMEOUT_SECONDS,
      maxBytes: INSTALL_MAX_BYTES,
      echo: (text) => logger.debug(text.trimEnd(), { install: connector }),
      signal,
      detectProtocol: (runnable) => detectProtocol(runnable, { logger }),
    });
    logger.info(`installed connector "${connector}" in ${Math.round(outcome.durationMs)} ms`);
  } catch (error) {
    const code = error instanceof SluiceError ? error.code : "INSTALL_FAILED";
    throw new InstallFailedError(
      code,
      `installing connector "${connector}" on this worker from ${manifest} failed: ${messageOf(error)}`,
      { cause: error },
    );
  } finally {
    registry.close();
  }
}
