/** A run: one sync of one connection, started by hand, by its schedule or from the CLI. */
import type { Json } from "../connections/options.js";
import type { Connection } from "../connections/service.js";

export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TRIGGERS = ["manual", "schedule", "cli"] as const;
export type Trigger = (typeof TRIGGERS)[number];

export interface RunCounts {
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface Run extends RunCounts {
  id: number;
  connectionId: number;
  trigger: Trigger;
  status: RunStatus;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  syncId: number | null;
  durationMs: number | null;
  recordsPerSecond: number | null;
  /** The connector's own estimate of the records it will send, when it gives one. */
  estimatedTotal: number | null;
  error: string | null;
  stderrTail: string | null;
}

export interface LogEntry {
  time: string;
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** Live progress of a running sync. */
export interface RunProgress extends RunCounts {
  estimatedTotal: number | null;
  syncId: number | null;
}

export interface RunOutcome {
  status: "succeeded" | "failed" | "cancelled";
  syncId: number | null;
  counts: RunCounts;
  /** The sync's own rate (without the connector's start), when it got that far. */
  recordsPerSecond?: number;
  error?: string;
  stderrTail?: string;
}

/** Everything a launcher needs to run one sync. */
export interface LaunchRequest {
  runId: number;
  connection: Connection;
  /** The options as the connector gets them (secrets included): never log them. */
  options: string;
  /** The secret values among them, to redact from logs and errors. */
  secrets: Json[];
  /** Where the data goes: the connection's destination or the server's database. */
  destination: string;
}

export interface LaunchCallbacks {
  progress(progress: RunProgress): void;
  log(entry: LogEntry): void;
}

/**
 * Runs syncs. In-process now (./in-process.ts); a distributed launcher
 * (Temporal workflows) implements the same interface. A launcher never
 * throws for a failed sync: the failure is the outcome.
 */
export interface RunLauncher {
  /** Refuses a run that cannot start now (its engine away, the connection busy there) before it is recorded. */
  admit?(connection: Connection): Promise<void>;
  launch(request: LaunchRequest, callbacks: LaunchCallbacks, signal: AbortSignal): Promise<RunOutcome>;
}
