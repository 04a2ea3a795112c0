/**
 * A plugin's way of noticing that its host is gone, so that a host killed
 * with `kill -9` (or crashed) does not leave it running forever. A go-plugin
 * host gives its plugin no pipe to watch (stdin is the host's own, stdout
 * was only for the handshake), but it always opens GRPCBroker.StartStream
 * right after connecting and keeps it open until it stops the plugin
 * (go-plugin's GRPCClient.Close); the stream ends when the host closes it or
 * its process dies. Before the host has connected, only the process tree can
 * tell: a plugin whose parent dies is adopted by another process, and, as
 * Sluice runs connectors behind `sh -c` (a wrapper that outlives a killed
 * host), the Sluice process named in SLUICE_RUN_ID ends.
 */
import { isRunning, startingSluice } from "../process/index.js";
import type { BrokerStream } from "./broker.js";

const PARENT_CHECK_MS = 1_000;

export interface HostWatch {
  /** Watches the host's broker stream: its end means the host is gone. */
  broker(stream: BrokerStream): void;
}

/** Calls `gone` (once) with the reason when the host has gone away. */
export function watchHost(gone: (why: string) => void): HostWatch {
  let reported = false;
  const report = (why: string) => {
    if (reported) return;
    reported = true;
    clearInterval(parentCheck);
    gone(why);
  };
  const parent = process.ppid;
  const sluice = startingSluice();
  const parentCheck = setInterval(() => {
    if (process.ppid !== parent) report(`its parent process (pid ${parent}) has ended`);
    if (sluice && !isRunning(sluice)) report(`the Sluice process that started it (pid ${sluice.pid}) has ended`);
  }, PARENT_CHECK_MS).unref();
  return {
    broker(stream) {
      // "close" in every case: the host ended the stream, cancelled it, or its connection died with it.
      stream.on("close", () => report("the host's broker stream has closed"));
    },
  };
}
