/** A plugin's stderr: hclog JSON lines as structured entries, anything else as text; the last lines kept. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Logger, silentLogger } from "../../src/logging.js";
import { parseLogLine, StderrForwarder } from "../../src/plugin/hclog.js";

test("hclog JSON: level, message and fields; the timestamp and caller dropped", () => {
  assert.deepEqual(
    parseLogLine(
      '{"@level":"WARN","@message":"slow page","@timestamp":"2026-01-01T00:00:00Z","@caller":"x.go:1","page":3}',
    ),
    { level: "warn", message: "slow page", fields: { page: 3 } },
  );
  assert.equal(parseLogLine('{"@level":"fatal","@message":"boom"}').level, "error");
  assert.equal(parseLogLine('{"@message":"no level"}').level, "info");
  // A level named like an Object.prototype member is no level (it was the member itself, a function).
  for (const level of ["constructor", "__proto__", "toString"])
    assert.equal(parseLogLine(`{"@level":"${level}","@message":"m"}`).level, "info");
});

test("anything else is plain text at debug level, JSON without hclog's keys too", () => {
  for (const line of ["panic: runtime error", '{"type":"LOG"}', "{not json"])
    assert.deepEqual(parseLogLine(line), { level: "debug", message: line, fields: {} });
});

test("the forwarder splits chunks into lines, skips blank ones, and keeps the last few", () => {
  const logged: string[] = [];
  const logger: Logger = { ...silentLogger, log: (level, message) => void logged.push(`${level} ${message}`) };
  const forwarder = new StderrForwarder(logger, 2);
  forwarder.push("one\r\ntw");
  forwarder.push(Buffer.from("o\n\n"));
  forwarder.push('{"@level":"error","@message":"three"}\nfour');
  assert.deepEqual(logged, ["debug one", "debug two", "error three"]);
  assert.equal(
    forwarder.recent(),
    'two\n{"@level":"error","@message":"three"}\nfour',
    "the last 2, and the partial line",
  );
  forwarder.end();
  assert.deepEqual(logged.at(-1), "debug four");
});
