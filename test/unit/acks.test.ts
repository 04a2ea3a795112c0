/** A Conduit destination's acks, tracked against the records sent: in order, and a failed record fails the wait. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AckTracker } from "../../src/drivers/conduit/acks.js";
import type { DestinationAck, DestinationStream } from "../../src/drivers/conduit/endpoints.js";
import { Mailbox } from "../../src/drivers/conduit/mailbox.js";
import type { OpenCdcRecord } from "../../src/drivers/conduit/opencdc.js";

/** A destination's stream in memory: what was sent, and acks the test hands out. */
function stream() {
  const acks = new Mailbox<DestinationAck[]>();
  const sent: string[] = [];
  const destination: DestinationStream = {
    send: async (records) => void sent.push(...records.map((r) => r.position.toString())),
    nextAcks: () => acks.next(),
    close: () => acks.end(),
  };
  const ack = (...positions: string[]) =>
    acks.push(positions.map((position) => ({ position: Buffer.from(position), error: "" })));
  return { destination, sent, acks, ack };
}

const records = (...positions: string[]) => positions.map((p) => ({ position: Buffer.from(p) }) as OpenCdcRecord);

test("settled() waits for the acks of everything sent so far", async () => {
  const { destination, sent, ack } = stream();
  const tracker = new AckTracker(destination, "dest");
  await tracker.send(records("1", "2"));
  assert.deepEqual(sent, ["1", "2"]);
  let settled = false;
  const waiting = tracker.settled().then(() => (settled = true));
  ack("1");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, "one of two acked");
  ack("2");
  await waiting;
  assert.equal(tracker.acked, 2);
  await tracker.settled();
});

test("a record the destination failed rejects the wait, and every later send", async () => {
  const { destination, acks } = stream();
  const tracker = new AckTracker(destination, "dest");
  await tracker.send(records("1", "2"));
  acks.push([
    { position: Buffer.from("1"), error: "" },
    { position: Buffer.from("2"), error: "disk full" },
  ]);
  await assert.rejects(tracker.settled(), (error: Error & { code?: string }) => {
    assert.equal(error.code, "DESTINATION_REJECTED");
    assert.equal(error.message, 'destination "dest" failed the record at position 2: disk full');
    return true;
  });
  assert.equal(tracker.acked, 1);
  await assert.rejects(tracker.send(records("3")), /failed the record at position 2/);
});

test("acks out of order break the protocol", async () => {
  const { destination, ack } = stream();
  const tracker = new AckTracker(destination, "dest");
  await tracker.send(records("1", "2"));
  ack("2");
  await assert.rejects(
    tracker.settled(),
    /^ConnectorProtocolError: destination "dest" acked position 2, expected 1 \(acks must come in order\)$/,
  );
});
