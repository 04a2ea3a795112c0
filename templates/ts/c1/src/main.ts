/** Starts the connector: a go-plugin plugin with c1-core's handshake, which Sluice (and c1-core's host) runs. */
import { serveC1Connector } from "sluice/sdk";
import { connector } from "./connector.js";

await serveC1Connector(connector);
