/** Every connection at a glance: connector, schedule, last run. */
import { api, type Connection } from "../api";
import { ErrorBox, formatTime, Loading, Page, StatusBadge, useLoad } from "../components/common";
import { describeSchedule } from "../../../src/server/connections/schedule-text";

export function ConnectionsPage({ readOnly }: { readOnly: boolean }) {
  const [connections, error] = useLoad(() => api.get<Connection[]>("/api/connections"), []);
  return (
    <Page
      title="Connections"
      actions={
        !readOnly && (
          <a class="button primary" href="/connections/new">
            New connection
          </a>
        )
      }
    >
      <ErrorBox error={error} />
      {!connections && !error && <Loading />}
      {connections?.length === 0 && (
        <div class="empty">
          <p>No connections yet. A connection is a connector with its options, streams and schedule.</p>
          {!readOnly && (
            <p>
              <a href="/connections/new">Create the first one</a> (install connectors on the{" "}
              <a href="/connectors">Connectors</a> page).
            </p>
          )}
        </div>
      )}
      {connections && connections.length > 0 && (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th>Name</th>
                <th class="narrow-hide">Connector</th>
                <th>Schedule</th>
                <th>Last run</th>
                <th class="num narrow-hide">Records</th>
              </tr>
            </thead>
            <tbody>
              {connections.map((c) => (
                <tr key={c.id}>
                  <td>
                    <a href={`/connections/${c.id}`}>{c.name}</a>
                  </td>
                  <td class="narrow-hide">{c.connector}</td>
                  <td>
                    {describeSchedule(c.schedule)}
                    {c.paused && <> <StatusBadge status="paused" /></>}
                  </td>
                  <td>
                    {c.lastRun ? (
                      <a href={`/runs/${c.lastRun.id}`}>
                        <StatusBadge status={c.lastRun.status} /> {formatTime(c.lastRun.queuedAt)}
                      </a>
                    ) : (
                      <StatusBadge status="never" />
                    )}
                  </td>
                  <td class="num narrow-hide">{c.lastRun ? c.lastRun.records.toLocaleString() : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
