/**
 * Example c1-core connector in TypeScript: the same npm packages as
 * ../packages, sent as c1-core DataObjects through the Sync callback. c1-core's
 * own Go host can run it: it speaks c1-core's go-plugin handshake.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { serveC1Connector } from "sluice/sdk";
import { listPackages, parseOptions } from "../lib/packages.js";

await serveC1Connector({
  sync: async (raw, pages) => {
    const { root, pageSize } = parseOptions(raw);
    const packages = listPackages(root);
    for (let start = 0; start < packages.length; start += pageSize) {
      await pages.upsert(
        packages.slice(start, start + pageSize).map((p) => ({
          remoteId: p.path,
          resourceName: `${p.name}@${p.version}`,
          uri: pathToFileURL(resolve(root, p.path)).href,
          metadata: JSON.stringify({ version: p.version, license: p.license, description: p.description }),
        })),
      );
    }
    return JSON.stringify({ message: "success", objects: packages.length });
  },
});
