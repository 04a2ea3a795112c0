/**
 * Ajv, loaded when a schema is first compiled rather than when a module that
 * may validate is imported: loading it costs every command about 30 ms, and
 * most never validate a schema (`--help`, `syncs`, a sync of a connector that
 * publishes none). Ajv is CommonJS, so a synchronous require loads it on demand.
 */
import type { Ajv, Options } from "ajv";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function createAjv(options: Options): Ajv {
  const { Ajv: AjvClass } = require("ajv") as typeof import("ajv");
  return new AjvClass(options);
}
