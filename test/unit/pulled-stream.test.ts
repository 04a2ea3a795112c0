import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { pullServerStream } from "../../src/plugin/pulled-stream.js";

// A real grpc-js server whose one method streams back as many messages as the request says.
const text = {
  serialize: (value: string) => Buffer.from(value),
  deserialize: (bytes: Buffer) => bytes.toString(),
};
const countMethod = {
  path: "/test.Counter/Count",
  requestStream: false,
  responseStream: true,
  requestSerialize: text.serialize,
  requestDeserialize: text.deserialize,
  responseSerialize: text.serialize,
  responseDeserialize: text.deserialize,
} as const;

let server: grpc.Server;
let client: grpc.Client;
const cancelled: string[] = [];

before(async () => {
  server = new grpc.Server();
  server.addService(
    { count: countMethod },
    {
      count: (call: grpc.ServerWritableStream<string, string>) => {
        const [what, many] = call.request.split(":");
        if (what === "fail") {
          call.emit("error", { code: grpc.status.FAILED_PRECONDITION, details: "no such table" });
          return;
        }
        call.on("cancelled", () => cancelled.push(call.request));
        let next = 0;
        const write = (): void => {
          while (next < Number(many) && !call.cancelled)
            if (!call.write(`${what}${next++}`)) return void call.once("drain", write);
          if (what !== "endless") call.end();
        };
        write();
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
  client.close();
  server.forceShutdown();
});

async function collect(request: string, method = countMethod): Promise<string[]> {
  const messages: string[] = [];
  for await (const message of pullServerStream(client, method, request)) messages.push(message);
  return messages;
}

test("gives every message of a server stream, in order, then ends", async () => {
  const messages = await collect("m:500");
  assert.equal(messages.length, 500);
  assert.deepEqual(messages.slice(0, 3), ["m0", "m1", "m2"]);
  assert.equal(messages.at(-1), "m499");
  assert.deepEqual(await collect("none:0"), []);
});

test("a failed call throws the status as grpc-js's own calls do (code, details)", async () => {
  await assert.rejects(collect("fail:1"), (error: grpc.ServiceError) => {
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(error.details, "no such table");
    assert.match(error.message, /^9 FAILED_PRECONDITION: no such table$/);
    return true;
  });
});

test("a message that cannot be decoded ends the call with INTERNAL, naming the reason", async () => {
  const strict = {
    ...countMethod,
    responseDeserialize: (bytes: Buffer): string => {
      if (bytes.toString() === "bad1") throw new Error("field 3 is truncated");
      return bytes.toString();
    },
  };
  await assert.rejects(collect("bad:5", strict), (error: grpc.ServiceError) => {
    assert.equal(error.code, grpc.status.INTERNAL);
    assert.match(error.details, /Response message parsing error: field 3 is truncated/);
    return true;
  });
});

test("leaving the loop early cancels the call, so the server stops producing", async () => {
  const seen: string[] = [];
  for await (const message of pullServerStream(client, countMethod, "endless:1000000")) {
    seen.push(message);
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, ["endless0", "endless1", "endless2"]);
  for (let waited = 0; !cancelled.includes("endless:1000000") && waited < 5000; waited += 20)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(cancelled.includes("endless:1000000"), "the server saw the call cancelled");
});

test("cancel() fails a waiting read with CANCELLED", async () => {
  const stream = pullServerStream(client, countMethod, "endless:1000000");
  const reading = (async () => {
    for await (const _ of stream) stream.cancel();
  })();
  await assert.rejects(reading, (error: grpc.ServiceError) => error.code === grpc.status.CANCELLED);
});
