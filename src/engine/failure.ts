/**
 * What a failed sync left on its error, for whoever reports it (the server's
 * runs, the Temporal worker): the sync log id (SyncError) and the connector's
 * last stderr lines (attached by the plugin runtime, on the error or a cause).
 */
import { SluiceError } from "../errors.js";

export function stderrTailOf(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const tail = (e as { stderrTail?: unknown }).stderrTail;
    if (typeof tail === "string" && tail !== "") return tail;
  }
  return undefined;
}

export function syncIdOf(error: unknown): number | undefined {
  const id = error instanceof SluiceError ? (error as { syncId?: unknown }).syncId : undefined;
  return typeof id === "number" ? id : undefined;
}
