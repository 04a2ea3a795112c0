/** A subprocess source's stdout as JSON messages, line by line: chatter kept apart, broken lines named by number. */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { airbyteMessageProblem } from "../../src/drivers/airbyte/protocol.js";
import { singerMessageProblem } from "../../src/drivers/singer/messages.js";
import { jsonLines, MalformedLineError, type MessageProblem } from "../../src/drivers/subprocess/json-lines.js";

async function collect(chunks: (string | Buffer)[]) {
  const events = [];
  for await (const event of jsonLines<{ type: string }>(Readable.from(chunks), "src")) events.push(event);
  return events;
}

test("messages split across chunks, a last line without a newline, and a character split between chunks", async () => {
  const euro = Buffer.from('{"type":"RECORD","v":"€"}\n');
  const split = euro.indexOf(0xe2) + 1; // inside the three bytes of "€"
  const events = await collect([
    '{"type":"LO',
    'G"}\n\n',
    euro.subarray(0, split),
    euro.subarray(split),
    '{"type":"STATE"}',
  ]);
  assert.deepEqual(events, [
    { kind: "message", message: { type: "LOG" }, line: 1, length: 14 },
    { kind: "message", message: { type: "RECORD", v: "€" }, line: 3, length: 25 },
    { kind: "message", message: { type: "STATE" }, line: 4, length: 16 },
  ]);
});

test("lines that are not JSON objects are the connector's chatter, handed back as text", async () => {
  assert.deepEqual(await collect(["starting up\n", '  {"type":"SPEC"}  \n']), [
    { kind: "text", text: "starting up", line: 1 },
    { kind: "message", message: { type: "SPEC" }, line: 2, length: 15 },
  ]);
});

test("a line that starts like an object but does not parse, or has no type, is an error naming its line", async () => {
  await assert.rejects(collect(['{"type":"LOG"}\n', "{broken\n"]), (error: unknown) => {
    assert.ok(error instanceof MalformedLineError);
    assert.equal(error.code, "CONNECTOR_PROTOCOL_VIOLATION");
    assert.match(error.message, /^connector "src": line 2 of its output is not a valid message \(.*\): \{broken$/);
    return true;
  });
  await assert.rejects(collect(['{"kind":"x"}\n']), /line 1 of its output is not a valid message \(no "type"\)/);
});

test("Airbyte and Singer messages without the fields their drivers read are errors naming the line (found by fuzzing)", async () => {
  const read = async (problem: MessageProblem, lines: string) => {
    for await (const _ of jsonLines(Readable.from([lines]), "src", problem));
  };
  const cases: [MessageProblem, string, RegExp][] = [
    [airbyteMessageProblem, '{"type":"RECORD"}', /"record" is not an object/],
    [airbyteMessageProblem, '{"type":"RECORD","record":{"stream":"s","data":[1]}}', /"record.data" is not an object/],
    [airbyteMessageProblem, '{"type":"LOG","log":null}', /"log.message" is not a string/],
    [airbyteMessageProblem, '{"type":"STATE","state":{"type":"STREAM","stream":{}}}', /stream_descriptor.name/],
    [airbyteMessageProblem, '{"type":"CONTROL","control":{"connectorConfig":1}}', /connectorConfig.config/],
    [singerMessageProblem, '{"type":"RECORD","stream":"s","record":"x"}', /"record" is not an object/],
    [singerMessageProblem, '{"type":"SCHEMA","stream":"s","schema":{},"key_properties":[1]}', /key_properties/],
  ];
  for (const [problem, line, reason] of cases)
    await assert.rejects(read(problem, `{"type":"X"}\n${line}\n`), (error: unknown) => {
      assert.ok(error instanceof MalformedLineError);
      assert.match(error.message, /line 2 of its output is not a valid message/);
      assert.match(error.message, reason);
      return true;
    });
  // Types Sluice does not read, and the full messages, pass.
  await read(airbyteMessageProblem, '{"type":"RECORD","record":{"stream":"s","data":{}}}\n{"type":"FUTURE"}\n');
  await read(singerMessageProblem, '{"type":"STATE","value":1}\n{"type":"ACTIVATE_VERSION"}\n');
});
