/**
 * The go-plugin handshake values of each protocol Sluice speaks: facts of the
 * wire contracts, shared by hosts (drivers) and servers (SDKs).
 */

/** Sluice's native protocol (proto/sluice/v1). */
export const SLUICE_HANDSHAKE = {
  magicCookieKey: "SLUICE_PLUGIN",
  magicCookieValue: "7c3e1f5a9b2d4e6f8a0c1b3d5e7f9a2c",
  protocolVersions: [1],
};

/** c1-core (go-plugin's basic example values). */
export const C1_HANDSHAKE = {
  magicCookieKey: "BASIC_PLUGIN",
  magicCookieValue: "hello",
  protocolVersions: [1],
};

/** Conduit's connector protocol (conduit-connector-protocol's pconnector.HandshakeConfig): versions 1 (connector.v1) and 2 (connector.v2). */
export const CONDUIT_HANDSHAKE = {
  magicCookieKey: "CONDUIT_PLUGIN_MAGIC_COOKIE",
  magicCookieValue: "204e8e812c3a1bb73b838928c575b42a105dd2e9aa449be481bc4590486df53f",
  protocolVersions: [1, 2],
};
