import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatHandshakeLine,
  HandshakeLineError,
  negotiateVersion,
  parseHandshakeLine,
} from "../../src/plugin/handshake.js";

test("parses go-plugin handshake lines, unix and tcp, with and without cert and mux", () => {
  assert.deepEqual(parseHandshakeLine("1|1|unix|/tmp/plugin123|grpc|\n", [1]), {
    coreVersion: 1,
    appVersion: 1,
    network: "unix",
    address: "/tmp/plugin123",
    protocol: "grpc",
    serverCert: "",
    multiplexed: false,
  });
  const tcp = parseHandshakeLine("1|2|tcp|127.0.0.1:1234|grpc|MIIB|true", [1, 2]);
  assert.equal(tcp.address, "127.0.0.1:1234");
  assert.equal(tcp.serverCert, "MIIB");
  assert.equal(tcp.multiplexed, true);
});

test("formats the line a go-plugin host expects", () => {
  const line = formatHandshakeLine({
    appVersion: 1,
    network: "unix",
    address: "/s.sock",
    serverCert: "",
    multiplexed: false,
  });
  assert.equal(line, "1|1|unix|/s.sock|grpc|\n");
  assert.equal(parseHandshakeLine(line, [1]).address, "/s.sock");
});

test("rejects malformed and unsupported handshakes with what was wrong", () => {
  const cases: [string, "malformed" | "unsupported", RegExp][] = [
    ["hello world", "malformed", /malformed handshake line "hello world"/],
    ["1|x|unix|/a|grpc|", "malformed", /versions must be integers/],
    ["2|1|unix|/a|grpc|", "unsupported", /core protocol version 2/],
    ["1|3|unix|/a|grpc|", "unsupported", /app protocol version 3, but this host offers 1/],
    ["1|1|unix|/a|netrpc|", "unsupported", /net\/rpc plugins are legacy/],
    ["1|1|pipe|/a|grpc|", "malformed", /unsupported network "pipe"/],
  ];
  for (const [line, kind, message] of cases) {
    assert.throws(
      () => parseHandshakeLine(line, [1]),
      (error: unknown) => error instanceof HandshakeLineError && error.kind === kind && message.test(error.message),
      line,
    );
  }
});

test("a plugin serves the highest version both sides support", () => {
  assert.equal(negotiateVersion([1, 2], "1,2"), 2);
  assert.equal(negotiateVersion([1, 2], "1"), 1);
  assert.equal(negotiateVersion([2], "1"), undefined);
  assert.equal(negotiateVersion([1, 2], undefined), 2);
});
