/** Starts the connector: the process becomes a go-plugin plugin that Sluice runs. */
import { serveConnector } from "sluice/sdk";
import { connector } from "./connector.js";

await serveConnector(connector);
