/**
 * Where the record schemas are: schemas/codeclimate at the package root. The
 * CommonJS build of the SDK (scripts/build-codeclimate-sdk.mjs) puts its own
 * copy beside its bundle and replaces this module.
 */
import { fileURLToPath } from "node:url";

export const SCHEMA_DIR = fileURLToPath(new URL("../../../schemas/codeclimate/", import.meta.url));
