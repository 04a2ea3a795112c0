/**
 * Example native Sluice connector in TypeScript: the npm packages installed
 * under a folder, one record per package, keyed by path.
 *   sluice sync -c "node examples/ts/dist/packages/main.js" -o '{"root": "."}'
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InvalidOptionsError, serveConnector } from "sluice/sdk";
import { listPackages, parseOptions } from "../lib/packages.js";

const optionsSchema = {
  type: "object",
  properties: {
    root: { type: "string", description: "folder whose node_modules is listed", default: "." },
    page_size: { type: "integer", minimum: 1, default: 200 },
  },
  additionalProperties: false,
};

const packageSchema = {
  type: "object",
  properties: {
    path: { type: "string" },
    name: { type: "string" },
    version: { type: "string" },
    description: { type: ["string", "null"] },
    license: { type: ["string", "null"] },
    dependencies: { type: "integer" },
    homepage: { type: ["string", "null"] },
  },
};

function options(raw: string) {
  try {
    return parseOptions(raw);
  } catch (error) {
    throw new InvalidOptionsError((error as Error).message);
  }
}

await serveConnector({
  spec: () => ({
    name: "packages",
    version: "0.1.0",
    description: "npm packages installed under a folder",
    optionsSchema,
  }),
  check: (raw) => {
    const { root } = options(raw);
    return existsSync(join(root, "node_modules")) ? [] : [`option "root": ${root} has no node_modules folder`];
  },
  discover: () => [{ name: "packages", jsonSchema: packageSchema, primaryKey: ["path"], syncModes: ["full_refresh"] }],
  read: async (request, writer) => {
    const { root, pageSize } = options(request.options);
    const packages = listPackages(root);
    for (let start = 0; start < packages.length; start += pageSize) {
      const page = packages.slice(start, start + pageSize);
      await writer.write("packages", page as unknown as Record<string, unknown>[], { estimatedTotal: packages.length });
    }
  },
});
