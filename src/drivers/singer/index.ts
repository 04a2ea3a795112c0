/**
 * src/drivers/singer — Singer taps as a SourceDriver, on the same subprocess
 * machinery as Airbyte sources (src/drivers/subprocess).
 *
 * May import: src/drivers/subprocess, src/errors.ts, src/logging.ts.
 */
export type { SingerCatalog, SingerStream } from "./catalog.js";
export { SingerDriver, type SingerSettings, SingerTapError } from "./driver.js";
