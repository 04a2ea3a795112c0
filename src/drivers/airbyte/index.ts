/**
 * src/drivers/airbyte — Airbyte sources (e.g. `pip install airbyte-source-faker`)
 * as a SourceDriver, run as subprocesses speaking the Airbyte protocol on
 * stdout: protocol.ts (messages), lines.ts (stdout → messages), catalog.ts
 * (configured catalogs and how streams land in tables), state.ts, driver.ts.
 *
 * May import: src/plugin/hclog.ts, src/errors.ts, src/logging.ts.
 */
export { defaultCatalog } from "./catalog.js";
export { type AirbyteSettings, type AirbyteSource, AirbyteDriver, AirbyteSourceError } from "./driver.js";
export { MalformedLineError } from "../subprocess/json-lines.js";
export type { AirbyteStream, ConfiguredCatalog } from "./protocol.js";
