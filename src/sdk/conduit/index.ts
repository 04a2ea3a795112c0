/**
 * src/sdk/conduit — write Conduit connectors in TypeScript: a specification,
 * a source and/or a destination (types.ts). `serveConduitConnector` makes the
 * process a standalone Conduit connector (go-plugin, connector.v2); Sluice
 * can also run the same object in-process ("built-in", no gRPC).
 *
 * May import: src/plugin, src/protocol, src/errors.ts.
 */
export { DestinationRunner, type DestinationAck, SourceRunner } from "./runners.js";
export { type ServeConduitOptions, serveConduitConnector } from "./serve.js";
export { toSpecification, toV1Specification } from "./specification.js";
export type * from "./types.js";
export { Operation } from "../../protocol/gen/opencdc/v1/opencdc.js";
