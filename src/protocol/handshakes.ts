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
