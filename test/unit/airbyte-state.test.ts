/** An Airbyte source's state between runs: LEGACY as one value, STREAM per stream (latest wins), GLOBAL replacing all. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SourceState } from "../../src/drivers/airbyte/state.js";

const stream = (name: string, cursor: number, namespace?: string) => ({
  type: "STREAM" as const,
  stream: { stream_descriptor: { name, namespace }, stream_state: { cursor } },
});

test("no state: empty, and written as an empty object", () => {
  const state = SourceState.fromText("");
  assert.equal(state.isEmpty, true);
  assert.equal(state.toText(), "{}");
});

test("LEGACY state (no type) is one value, the latest", () => {
  const state = new SourceState();
  state.add({ data: { cursor: 1 } });
  state.add({ type: "LEGACY", data: { cursor: 2 } });
  assert.equal(state.toText(), '{"cursor":2}');
  assert.equal(SourceState.fromText(state.toText()).toText(), '{"cursor":2}', "round trip");
});

test("STREAM states are kept per stream and namespace, the latest of each", () => {
  const state = new SourceState();
  state.add(stream("users", 1));
  state.add(stream("orders", 5));
  state.add(stream("users", 2));
  state.add(stream("users", 9, "other"));
  const saved = JSON.parse(state.toText()) as ReturnType<typeof stream>[];
  assert.deepEqual(
    saved.map((m) => [m.stream.stream_descriptor.name, m.stream.stream_descriptor.namespace, m.stream.stream_state]),
    [
      ["users", undefined, { cursor: 2 }],
      ["orders", undefined, { cursor: 5 }],
      ["users", "other", { cursor: 9 }],
    ],
  );
  assert.equal(SourceState.fromText(state.toText()).toText(), state.toText(), "round trip");
});

test("a GLOBAL state replaces the per-stream ones", () => {
  const state = new SourceState();
  state.add(stream("users", 1));
  const global = { type: "GLOBAL" as const, global: { shared_state: { lsn: 7 }, stream_states: [] } };
  state.add(global);
  assert.deepEqual(JSON.parse(state.toText()), [global]);
});
