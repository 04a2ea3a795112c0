/** How a stream is read: all of it, or only what changed since the saved state. */
export type SyncMode = "full_refresh" | "incremental";
