/** The connector's own tests: run with `npm test`. `sluice test` checks the running connector. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Stream } from "codeclimate-connector-sdk";
import { buildFakeLogger, buildFakeRecordProducer, buildFakeStateManager } from "codeclimate-connector-sdk/lib/TestHelpers";
import { Client, DAY_MS, items } from "../Client";

const stream = new Stream({ _type: "Stream", id: "items", self: "https://example.com/items", name: "items" });

test("verifyConfiguration says what is wrong", async () => {
  const client = new Client(new Map(), buildFakeRecordProducer(), buildFakeStateManager(), buildFakeLogger());
  assert.deepEqual(await client.verifyConfiguration(), { isValid: false, errorMessages: ["count is required"] });
});

test("syncStream produces the items since the cutoff and checkpoints the newest", async () => {
  const producer = buildFakeRecordProducer();
  const state = buildFakeStateManager();
  const client = new Client(new Map([["count", 10]]), producer, state, buildFakeLogger());
  const newest = items(1)[0].createdAt;
  await client.syncStream(stream, new Date(newest.valueOf() - 2.5 * DAY_MS));
  assert.deepEqual(
    producer.records.map((record) => (record as { id: string }).id),
    ["1", "2", "3"],
  );
  assert.deepEqual(state.get(), { checkpointTime: newest });

  const again = buildFakeRecordProducer();
  await new Client(new Map([["count", 10]]), again, state, buildFakeLogger()).syncStream(stream, new Date(0));
  assert.deepEqual(again.records, [], "nothing after the checkpoint");
});
