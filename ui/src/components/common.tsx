/** Small pieces every page uses: status badges, progress, times, errors, loading. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, type Run, type RunStatus } from "../api";

export function StatusBadge({ status }: { status: RunStatus | "never" | "paused" }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** A determinate bar when the connector gives an estimate (or the run is over), else a moving one. */
export function ProgressBar({ run }: { run: Run }) {
  const done = run.status === "succeeded";
  const over = run.finishedAt !== null;
  const fraction = done ? 1 : run.estimatedTotal ? Math.min(run.records / run.estimatedTotal, 0.99) : undefined;
  const percent = fraction === undefined ? undefined : Math.round(fraction * 100);
  return (
    <div
      class={`progress progress-${run.status}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-label="sync progress"
      data-status={run.status}
    >
      <div
        class={`progress-fill${percent === undefined && !over ? " progress-indeterminate" : ""}`}
        style={{ width: `${percent ?? (over ? 100 : 35)}%` }}
      />
      <span class="progress-label">
        {done ? "done" : percent !== undefined ? `${percent}%` : over ? run.status : `${run.records.toLocaleString()} records`}
      </span>
    </div>
  );
}

export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div class="error-box" role="alert">
      {code && <strong>{code}: </strong>}
      <span class="pre">{message}</span>
    </div>
  );
}

export function Loading() {
  return <p class="muted">Loading…</p>;
}

/** Loads once per `key`; returns [value, error, reload]. */
export function useLoad<T>(load: () => Promise<T>, key: unknown[]): [T | undefined, unknown, () => void] {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => live && (setValue(v), setError(undefined)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // biome-ignore lint/correctness/useExhaustiveDependencies: reloads on the caller's key or a reload()
  }, [...key, tick]);
  return [value, error, () => setTick((t) => t + 1)];
}

export function Page({ title, actions, children }: { title: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page">
      <header class="page-header">
        <h1>{title}</h1>
        {actions && <div class="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
