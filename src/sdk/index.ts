/**
 * src/sdk — write connectors in TypeScript: `serveConnector` for Sluice's
 * native protocol, `serveC1Connector` for c1-core's contract. Thin over the
 * generated code and src/plugin's go-plugin server. Also, by their own
 * entry points: `sluice/conduit` (src/sdk/conduit: Conduit connectors) and
 * `sluice/codeclimate` (src/sdk/codeclimate: codeclimate-connector-sdk's API).
 *
 * May import: src/plugin, src/protocol, src/errors.ts.
 */
export { type C1Connector, type C1Pages, type DataObject, serveC1Connector } from "./c1.js";
export {
  type Connector,
  type ConnectorSpec,
  InvalidOptionsError,
  type PageOptions,
  type PageWriter,
  type ReadRequest,
  serveConnector,
  type StreamDefinition,
  type SyncMode,
} from "./native.js";
