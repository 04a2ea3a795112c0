/**
 * Local sources are copied into the release folder, never used in place:
 * the install command then builds in Sluice's copy (the user's folder is not
 * touched), a failed update leaves the running copy as it was, and the
 * connector keeps working if the folder moves. `update` copies again and
 * re-runs the install (or update) command. The copy is verbatim, symbolic
 * links included.
 */
import { cp, copyFile, mkdir, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { messageOf } from "../../errors.js";
import { FetchError } from "../errors.js";
import type { Manifest } from "../manifest.js";
import type { Fetched, FetchContext, SourceFetcher } from "./types.js";

export const localFetcher: SourceFetcher = {
  planInstall: (manifest, dir) => [`copy ${manifest.uri} to ${dir}`],
  planUpdate: (manifest, _current, dir) => [`copy ${manifest.uri} to ${dir} (afresh)`],
  fetch: copySource,
  fetchUpdate: (manifest, _current, dir, _pull, context) => copySource(manifest, dir, context),
};

async function copySource(manifest: Manifest, dir: string, context: FetchContext): Promise<Fetched> {
  const source = manifest.uri;
  const info = await stat(source).catch((error: unknown) => {
    throw new FetchError(`"uri" ${source} cannot be read (source is "Local"): ${messageOf(error)}`);
  });
  const inside = relative(resolve(source), resolve(dir));
  if (info.isDirectory() && !inside.startsWith("..") && !isAbsolute(inside)) {
    throw new FetchError(
      `"uri" ${source} contains the install folder ${dir}; point SLUICE_HOME elsewhere or "uri" at a smaller folder`,
    );
  }
  context.log.note(`copy ${source} to ${dir}`);
  try {
    if (info.isDirectory()) {
      await cp(source, dir, {
        recursive: true,
        verbatimSymlinks: true,
        preserveTimestamps: true,
        errorOnExist: true,
        force: false,
      });
    } else {
      await mkdir(dir, { recursive: true });
      await copyFile(source, join(dir, basename(source)));
    }
  } catch (error) {
    throw new FetchError(`cannot copy ${source} to ${dir}: ${messageOf(error)}`, { cause: error });
  }
  return {};
}
