/**
 * The engine's second face: what a command opens itself rather than through
 * openSource — Conduit's connectors (standalone and built-in, with the
 * utilities they share) and Conduit pipelines, a Qlik GetData connector. Each
 * brings its protocol's code (gRPC, the generated protobuf, Avro), so callers load this face only when
 * they open one — `await import("../engine/drivers.js")` — and every other
 * command starts without it. Types are free: `import type` from here costs
 * nothing at run time.
 */
export { QlikDriver } from "../drivers/qlik/driver.js";
export {
  BuiltinConnector,
  ConnectorUtilities,
  describeSpecification,
  SchemaDecoder,
  StandaloneConnector,
} from "../drivers/conduit/index.js";
export { runPipeline } from "./pipeline.js";
