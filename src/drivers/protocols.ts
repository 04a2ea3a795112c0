/** The kinds of connector Sluice runs from a command, by the protocol they speak. */

export const CONNECTOR_PROTOCOLS = ["sluice", "c1", "conduit", "airbyte", "singer", "codeclimate"] as const;
export type ConnectorProtocol = (typeof CONNECTOR_PROTOCOLS)[number];

/** What a user may choose: a protocol, or "auto" to detect it. */
export const SOURCE_PROTOCOLS = ["auto", ...CONNECTOR_PROTOCOLS] as const;
export type SourceProtocolChoice = (typeof SOURCE_PROTOCOLS)[number];

export const isConnectorProtocol = (value: string): value is ConnectorProtocol =>
  (CONNECTOR_PROTOCOLS as readonly string[]).includes(value);

/** What each protocol is, in words, for help and messages. */
export const PROTOCOL_DESCRIPTIONS: Record<ConnectorProtocol, string> = {
  sluice: "Sluice's native protocol over go-plugin",
  c1: "c1-core's connector contract over go-plugin",
  conduit: "a Conduit connector (its source reads into the store)",
  airbyte: "an Airbyte source (spec, check, discover, read)",
  singer: "a Singer tap (--discover, then the sync)",
  codeclimate: "a Code Climate connector package (exports a Client)",
};
