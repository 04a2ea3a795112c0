/** Starts the connector standalone: a go-plugin plugin with Conduit's handshake, which Conduit and Sluice run. */
import { serveConduitConnector } from "sluice/conduit";
import { connector } from "./connector.js";

await serveConduitConnector(connector);
