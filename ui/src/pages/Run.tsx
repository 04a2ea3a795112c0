/** One run: live progress over server-sent events, counts, the log, and a failure's error with the connector's stderr tail. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type LogEntry, type Run, type RunDetail } from "../api";
import { ErrorBox, formatDuration, formatTime, Loading, Page, ProgressBar, StatusBadge } from "../components/common";

export function RunPage({ id, readOnly }: { id: number; readOnly: boolean }) {
  const [run, setRun] = useState<RunDetail>();
  const [error, setError] = useState<unknown>();
  const logEnd = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let source: EventSource | undefined;
    let live = true;
    api.get<RunDetail>(`/api/runs/${id}`).then((detail) => {
      if (!live) return;
      setRun(detail);
      if (detail.finishedAt) return;
      source = new EventSource(`/api/runs/${id}/events`);
      source.addEventListener("status", (e) => {
        const next = JSON.parse((e as MessageEvent).data) as Run;
        setRun((old) => old && { ...old, ...next });
        if (next.finishedAt) {
          source?.close();
          // The final record of the run, with its whole log as stored.
          api.get<RunDetail>(`/api/runs/${id}`).then((d) => live && setRun(d));
        }
      });
      source.addEventListener("progress", (e) => {
        const progress = JSON.parse((e as MessageEvent).data) as Partial<Run>;
        setRun((old) => old && { ...old, ...progress });
      });
      source.addEventListener("log", (e) => {
        const entry = JSON.parse((e as MessageEvent).data) as LogEntry;
        setRun((old) => old && { ...old, log: [...old.log.slice(-499), entry] });
      });
    }, setError);
    return () => {
      live = false;
      source?.close();
    };
  }, [id]);

  useEffect(() => {
    logEnd.current?.scrollIntoView({ block: "nearest" });
  }, [run?.log.length]);

  if (error) return <ErrorBox error={error} />;
  if (!run) return <Loading />;
  const active = !run.finishedAt;
  return (
    <Page
      title={
        <>
          Run #{run.id} of <a href={`/connections/${run.connectionId}`}>{run.connection}</a>
        </>
      }
      actions={
        active &&
        !readOnly && (
          <button
            type="button"
            class="danger"
            onClick={() => api.post(`/api/runs/${id}/cancel`).catch(setError)}
          >
            Cancel run
          </button>
        )
      }
    >
      <div class="run-status">
        <StatusBadge status={run.status} />
        <ProgressBar run={run} />
      </div>
      <dl class="facts counts">
        <dt>Records</dt>
        <dd data-count="records">{run.records.toLocaleString()}</dd>
        <dt>Inserted</dt>
        <dd>{run.inserted.toLocaleString()}</dd>
        <dt>Updated</dt>
        <dd>{run.updated.toLocaleString()}</dd>
        <dt>Unchanged</dt>
        <dd>{run.unchanged.toLocaleString()}</dd>
        <dt>Pages</dt>
        <dd>{run.pages.toLocaleString()}</dd>
        <dt>Started</dt>
        <dd>{formatTime(run.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(run.durationMs)}</dd>
        <dt>Records/s</dt>
        <dd>{run.recordsPerSecond?.toLocaleString() ?? "—"}</dd>
        <dt>Trigger</dt>
        <dd>{run.trigger}</dd>
        <dt>Sync log</dt>
        <dd>{run.syncId ? `#${run.syncId}` : "—"}</dd>
      </dl>
      {run.error && (
        <section class="failure">
          <h2>Error</h2>
          <pre class="error-text">{run.error}</pre>
          {run.stderrTail && (
            <>
              <h3>Last lines of the connector's stderr</h3>
              <pre class="stderr-tail">{run.stderrTail}</pre>
            </>
          )}
        </section>
      )}
      <h2>Log</h2>
      <div class="log" role="log">
        {run.log.length === 0 && <p class="muted">Nothing logged{active ? " yet" : ""}.</p>}
        {run.log.map((entry, i) => (
          <div key={i} class={`log-line log-${entry.level}`}>
            <time>{new Date(entry.time).toLocaleTimeString()}</time> <span class="level">{entry.level}</span>{" "}
            {entry.fields?.connector ? <span class="tag">[{String(entry.fields.connector)}]</span> : null}{" "}
            {entry.message}
          </div>
        ))}
        <div ref={logEnd} />
      </div>
    </Page>
  );
}
