/** The queue between a gRPC stream's events and the reader that awaits them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Mailbox } from "../../src/drivers/conduit/mailbox.js";

test("items come out in order, whether they arrived before or after the reader asked", async () => {
  const mailbox = new Mailbox<number>();
  mailbox.push(1);
  const waiting = mailbox.next();
  assert.equal(await waiting, 1);
  const later = mailbox.next();
  mailbox.push(2);
  assert.equal(await later, 2);
});

test("end: the items before it still come, then undefined for every reader", async () => {
  const mailbox = new Mailbox<string>();
  mailbox.push("a");
  mailbox.end();
  assert.equal(await mailbox.next(), "a");
  assert.equal(await mailbox.next(), undefined);
  const blocked = new Mailbox<string>();
  const reader = blocked.next();
  blocked.end();
  assert.equal(await reader, undefined);
});

test("a failure reaches the reader after the items before it; nothing fails once ended", async () => {
  const mailbox = new Mailbox<number>();
  mailbox.push(1);
  mailbox.fail(new Error("stream broke"));
  assert.equal(await mailbox.next(), 1);
  await assert.rejects(mailbox.next(), /stream broke/);
  const ended = new Mailbox<number>();
  ended.end();
  ended.fail(new Error("too late"));
  assert.equal(await ended.next(), undefined);
});

test("backpressure: onFull at the high-water mark, onRoom once half of it is read", async () => {
  const calls: string[] = [];
  const mailbox = new Mailbox<number>(
    4,
    () => calls.push("full"),
    () => calls.push("room"),
  );
  for (let n = 0; n < 4; n++) mailbox.push(n);
  assert.deepEqual(calls, ["full"], "once, at 4 items");
  await mailbox.next();
  await mailbox.next();
  assert.deepEqual(calls, ["full"], "3 then 2 left: not below half yet");
  await mailbox.next();
  assert.deepEqual(calls, ["full", "room"]);
  let roomy = false;
  const room = mailbox.room().then(() => (roomy = true));
  await room;
  assert.equal(roomy, true, "room() resolves at once below the mark");
});
