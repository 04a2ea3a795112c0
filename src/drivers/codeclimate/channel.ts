/** The runner's end of fd 3: one JSON message per line, written synchronously. */
import { writeSync } from "node:fs";
import type { RunnerMessage } from "./messages.js";

export const CHANNEL_FD = 3;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Blocks until the driver has room: the pipe's capacity is the backpressure. */
export function send(message: RunnerMessage): void {
  const bytes = Buffer.from(JSON.stringify(message) + "\n");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(CHANNEL_FD, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
