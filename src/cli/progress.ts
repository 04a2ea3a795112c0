/**
 * The sync progress bar on a terminal: records, pages, rate, and a percentage
 * when the connector estimates its total. Logs are printed above the bar.
 */
import cliProgress from "cli-progress";
import type { SyncEvent } from "../engine/index.js";
import type { CliContext } from "./context.js";

export interface ProgressRenderer {
  onEvent(event: SyncEvent): void;
  stop(): void;
}

const noProgress: ProgressRenderer = { onEvent: () => {}, stop: () => {} };

export function createProgress(context: CliContext, enabled: boolean): ProgressRenderer {
  if (!enabled || context.json || !process.stderr.isTTY) return noProgress;
  const bars = new cliProgress.MultiBar(
    {
      format:
        " {bar} {percentage}% | {records} records | {pages} pages | {rate} rec/s | {duration_formatted} | {stream}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  context.redirectLogs((line) => bars.log(line));
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let records = 0;
  return {
    onEvent(event) {
      if (event.type !== "page") return;
      records += event.records;
      const total = Math.max(event.estimatedTotal ?? 0, records);
      const payload = {
        records,
        pages: event.pages,
        stream: event.stream,
        rate: Math.round(records / Math.max((Date.now() - started) / 1000, 0.001)),
      };
      if (!bar) bar = bars.create(total, records, payload);
      bar.setTotal(event.estimatedTotal ? total : records);
      bar.update(records, payload);
    },
    stop() {
      bars.stop();
      context.redirectLogs(undefined);
    },
  };
}
