/**
 * go-plugin's GRPCStdio, plugin side: after the handshake line, whatever the
 * plugin writes to process.stdout is captured (stdout must carry nothing else)
 * and streamed to the host over StreamStdio. The host side lives in client.ts.
 */
import type * as grpc from "@grpc/grpc-js";
import { type StdioData, StdioData_Channel, type GRPCStdioServer } from "../protocol/gen/plugin/grpc_stdio.js";

const MAX_BUFFERED_CHUNKS = 1000;

export class StdoutCapture {
  private readonly buffered: StdioData[] = [];
  private readonly subscribers = new Set<grpc.ServerWritableStream<unknown, StdioData>>();

  /** From now on, process.stdout writes are captured instead of printed. */
  install(): void {
    process.stdout.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
      this.publish({ channel: StdioData_Channel.STDOUT, data: Buffer.from(chunk as string) });
      const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
      if (typeof done === "function") queueMicrotask(done as () => void);
      return true;
    }) as typeof process.stdout.write;
  }

  service(): GRPCStdioServer {
    return {
      streamStdio: (call) => {
        for (const data of this.buffered.splice(0)) call.write(data);
        this.subscribers.add(call);
        call.on("cancelled", () => this.subscribers.delete(call));
      },
    };
  }

  private publish(data: StdioData): void {
    if (this.subscribers.size === 0) {
      if (this.buffered.length < MAX_BUFFERED_CHUNKS) this.buffered.push(data);
      return;
    }
    for (const subscriber of this.subscribers) subscriber.write(data);
  }
}
