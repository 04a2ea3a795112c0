/** oneAtATime: calls with one key take turns, in order, a failure included; other keys do not wait. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { oneAtATime } from "../../src/async.js";

test("calls with one key run one at a time, in the order made, and a failed one lets the next run", async () => {
  const events: string[] = [];
  const step = (name: string, fail = false) =>
    oneAtATime("file", async () => {
      events.push(`${name} begins`);
      await sleep(5);
      events.push(`${name} ends`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    });
  const results = await Promise.allSettled([step("a"), step("b", true), step("c")]);
  assert.deepEqual(
    results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
    ["a", "b failed", "c"],
  );
  assert.deepEqual(events, ["a begins", "a ends", "b begins", "b ends", "c begins", "c ends"]);
});

test("calls with other keys do not wait for each other", async () => {
  let running = 0;
  let most = 0;
  const step = (key: string) =>
    oneAtATime(key, async () => {
      most = Math.max(most, ++running);
      await sleep(5);
      running--;
    });
  await Promise.all([step("one"), step("two"), step("three")]);
  assert.equal(most, 3);
});
