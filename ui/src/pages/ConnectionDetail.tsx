/** One connection: its settings, run now, and its run history (refreshed while a run goes). */
import { useEffect, useState } from "preact/hooks";
import { api, type Connection, type Run } from "../api";
import {
  ErrorBox,
  formatDuration,
  formatTime,
  Loading,
  Page,
  ProgressBar,
  StatusBadge,
  useLoad,
} from "../components/common";
import { describeSchedule } from "../../../src/server/connections/schedule-text";
import { navigate } from "../router";

const PAGE = 25;

export function ConnectionDetailPage({ id, readOnly }: { id: number; readOnly: boolean }) {
  const [connection, error] = useLoad(() => api.get<Connection>(`/api/connections/${id}`), [id]);
  const [runs, setRuns] = useState<Run[]>();
  const [more, setMore] = useState(false);
  const [actionError, setActionError] = useState<unknown>();

  const loadRuns = async () => {
    const latest = await api.get<Run[]>(`/api/connections/${id}/runs?limit=${PAGE}`);
    setRuns((old) => {
      const older = old?.filter((r) => r.id < (latest[latest.length - 1]?.id ?? 0)) ?? [];
      return [...latest, ...older];
    });
    if (runs === undefined) setMore(latest.length === PAGE);
  };
  useEffect(() => {
    loadRuns().catch(setActionError);
  }, [id]);
  const live = runs?.some((r) => r.status === "queued" || r.status === "running");
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => loadRuns().catch(() => {}), 1000);
    return () => clearInterval(timer);
  }, [live, id]);

  if (error) return <ErrorBox error={error} />;
  if (!connection) return <Loading />;

  const runNow = async () => {
    setActionError(undefined);
    try {
      const run = await api.post<Run>(`/api/connections/${id}/runs`);
      navigate(`/runs/${run.id}`);
    } catch (e) {
      setActionError(e);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete connection "${connection.name}" and its run history? Its tables stay in the database.`)) return;
    try {
      await api.delete(`/api/connections/${id}`);
      navigate("/connections");
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <Page
      title={connection.name}
      actions={
        <>
          <a class="button" href={`/connections/${id}/data`}>
            Data
          </a>
          {!readOnly && (
            <>
              <a class="button" href={`/connections/${id}/edit`}>
                Edit
              </a>
              <button type="button" class="danger" onClick={remove}>
                Delete
              </button>
              <button type="button" class="primary" onClick={runNow} disabled={live}>
                {live ? "Running…" : "Run now"}
              </button>
            </>
          )}
        </>
      }
    >
      <ErrorBox error={actionError} />
      <dl class="facts">
        <dt>Connector</dt>
        <dd>{connection.connector}</dd>
        <dt>Streams</dt>
        <dd>{connection.streams?.join(", ") ?? "all"}</dd>
        <dt>Schedule</dt>
        <dd>
          {describeSchedule(connection.schedule)}
          {connection.paused ? " (paused)" : connection.nextRunAt ? ` — next ${formatTime(connection.nextRunAt)}` : ""}
        </dd>
        <dt>Destination</dt>
        <dd>
          {connection.destination ?? "the server's database"}, tables {connection.tablePrefix ?? `${connection.name}_`}…
        </dd>
        <dt>Secrets</dt>
        <dd>
          {connection.secretPaths.length
            ? connection.secretPaths.map((p) => p || "(all options)").join(", ")
            : "none"}{" "}
          <span class="muted">(stored encrypted, never shown)</span>
        </dd>
      </dl>
      <h2>Runs</h2>
      {!runs && <Loading />}
      {runs?.length === 0 && <p class="muted">No runs yet.</p>}
      {runs && runs.length > 0 && (
        <div class="table-wrap">
          <table class="list runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Started</th>
                <th class="num">Records</th>
                <th class="num">Pages</th>
                <th class="num">Duration</th>
                <th class="num">Records/s</th>
                <th class="wide">Progress / error</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr key={run.id} data-run={run.id}>
                  <td>
                    <a href={`/runs/${run.id}`}>#{run.id}</a> <span class="muted">{run.trigger}</span>
                  </td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>{formatTime(run.startedAt ?? run.queuedAt)}</td>
                  <td class="num">{run.records.toLocaleString()}</td>
                  <td class="num">{run.pages.toLocaleString()}</td>
                  <td class="num">{formatDuration(run.durationMs)}</td>
                  <td class="num">{run.recordsPerSecond?.toLocaleString() ?? "—"}</td>
                  <td class="wide">
                    {run.status === "running" || run.status === "queued" ? (
                      <ProgressBar run={run} />
                    ) : run.error ? (
                      <span class="bad clip" title={run.error}>
                        {run.error.split("\n")[0]}
                      </span>
                    ) : (
                      <span class="muted">
                        {run.inserted} new, {run.updated} updated, {run.unchanged} unchanged
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && runs && (
        <button
          type="button"
          onClick={async () => {
            const older = await api.get<Run[]>(`/api/connections/${id}/runs?limit=${PAGE}&before=${runs[runs.length - 1].id}`);
            setRuns([...runs, ...older]);
            setMore(older.length === PAGE);
          }}
        >
          Older runs
        </button>
      )}
    </Page>
  );
}
