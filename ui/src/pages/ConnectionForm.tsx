/** Create or edit a connection: the form is generated from the connector's option schema. */
import { useEffect, useState } from "preact/hooks";
import {
  ApiError,
  api,
  type Connection,
  type Connector,
  type ConnectorSpec,
  type Options,
  type Schedule,
  type Stream,
} from "../api";
import { ErrorBox, Loading, Page, useLoad } from "../components/common";
import { SchemaForm } from "../components/SchemaForm";
import { navigate } from "../router";

type ScheduleKind = "none" | "every" | "cron";
const UNITS = { s: 1, min: 60, h: 3600, d: 86400 } as const;
type Unit = keyof typeof UNITS;

export function ConnectionFormPage({ id }: { id?: number }) {
  const [connectors, connectorsError] = useLoad(() => api.get<Connector[]>("/api/connectors"), []);
  const [existing, existingError] = useLoad(
    () => (id === undefined ? Promise.resolve(undefined) : api.get<Connection>(`/api/connections/${id}`)),
    [id],
  );
  if (connectorsError || existingError) return <ErrorBox error={connectorsError ?? existingError} />;
  if (!connectors || (id !== undefined && !existing)) return <Loading />;
  return <ConnectionForm connectors={connectors} existing={existing} />;
}

function ConnectionForm({ connectors, existing }: { connectors: Connector[]; existing?: Connection }) {
  const installed = connectors.filter((c) => c.status !== "install failed");
  const [name, setName] = useState(existing?.name ?? "");
  const [connector, setConnector] = useState(existing?.connector ?? installed[0]?.name ?? "");
  const [spec, setSpec] = useState<ConnectorSpec>();
  const [specError, setSpecError] = useState<unknown>();
  const [options, setOptions] = useState<Options>(existing?.options ?? { format: "json", value: {} });
  const [chosenSecrets, setChosenSecrets] = useState<string[]>(existing?.secretPaths ?? []);
  const [streams, setStreams] = useState<Stream[]>();
  const [selected, setSelected] = useState<string[] | null>(existing?.streams ?? null);
  const [tablePrefix, setTablePrefix] = useState(existing?.tablePrefix ?? "");
  const [destination, setDestination] = useState(existing?.destination ?? "");
  const initial = scheduleParts(existing?.schedule ?? null);
  const [kind, setKind] = useState<ScheduleKind>(initial.kind);
  const [every, setEvery] = useState(initial.every);
  const [unit, setUnit] = useState<Unit>(initial.unit);
  const [cron, setCron] = useState(initial.cron);
  const [paused, setPaused] = useState(existing?.paused ?? false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [check, setCheck] = useState<{ ok: boolean; problems: string[] }>();

  useEffect(() => {
    if (!connector) return;
    setSpec(undefined);
    setSpecError(undefined);
    api.get<ConnectorSpec>(`/api/connectors/${encodeURIComponent(connector)}/spec`).then((s) => {
      setSpec(s);
      if (!existing || existing.connector !== connector)
        setOptions(s.optionsSchema?.properties ? { format: "json", value: {} } : { format: "raw", value: "" });
    }, setSpecError);
  }, [connector]);

  const schedule = (): Schedule | null =>
    kind === "none" ? null : kind === "cron" ? { cron } : { everySeconds: Math.round(Number(every) * UNITS[unit]) };
  const probeBody = () => ({ options, ...(existing ? { connectionId: existing.id } : {}) });
  const userSecrets = chosenSecrets.filter((p) => !spec?.secretPaths.includes(p));

  async function run<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    setBusy(label);
    setError(undefined);
    try {
      return await work();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(undefined);
    }
  }

  const save = async (event: Event) => {
    event.preventDefault();
    const body = {
      name,
      connector,
      options,
      secretPaths: userSecrets,
      streams: selected,
      tablePrefix: tablePrefix || null,
      destination: destination || null,
      schedule: schedule(),
      // Set through the API (a PUT replaces the whole connection): kept as they are.
      retry: existing?.retry ?? null,
      timeouts: existing?.timeouts ?? null,
      paused,
    };
    const saved = await run("save", () =>
      existing
        ? api.put<Connection>(`/api/connections/${existing.id}`, body)
        : api.post<Connection>("/api/connections", body),
    );
    if (saved) navigate(`/connections/${saved.id}`);
  };

  const errorField = error instanceof ApiError ? error.field : undefined;
  return (
    <Page title={existing ? `Edit ${existing.name}` : "New connection"}>
      <form class="form" onSubmit={save}>
        <div class="field">
          <label for="name">Name</label>
          <input
            id="name"
            required
            value={name}
            disabled={existing !== undefined}
            pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*"
            placeholder="e.g. github-main"
            class={errorField === "name" ? "invalid" : undefined}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
          <small class="help">Names its tables (&lt;name&gt;_&lt;stream&gt;), state and sync log; it cannot change later.</small>
        </div>
        <div class="field">
          <label for="connector">Connector</label>
          {installed.length === 0 ? (
            <p>
              No connector is installed yet: <a href="/connectors">install one</a>.
            </p>
          ) : (
            <select id="connector" value={connector} onChange={(e) => setConnector((e.target as HTMLSelectElement).value)}>
              {installed.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                  {c.description ? ` — ${c.description}` : ""}
                </option>
              ))}
            </select>
          )}
        </div>

        <fieldset>
          <legend>Options{spec ? ` (${spec.protocol}${spec.version ? ` ${spec.version}` : ""})` : ""}</legend>
          <ErrorBox error={specError} />
          {!spec && !specError && connector && <Loading />}
          {spec && (
            <SchemaForm
              schema={spec.optionsSchema}
              options={options}
              onOptions={setOptions}
              schemaSecrets={spec.secretPaths}
              chosenSecrets={userSecrets}
              onChosenSecrets={setChosenSecrets}
              errorField={errorField}
            />
          )}
          <div class="row">
            <button
              type="button"
              disabled={!spec || busy !== undefined}
              onClick={async () =>
                setCheck(await run("check", () => api.post(`/api/connectors/${encodeURIComponent(connector)}/check`, probeBody())))
              }
            >
              {busy === "check" ? "Testing…" : "Test connection"}
            </button>
            {check && (
              <span class={check.ok ? "ok" : "bad"} role="status">
                {check.ok ? "✓ the connector accepts these options" : `✗ ${check.problems.join("; ")}`}
              </span>
            )}
          </div>
        </fieldset>

        <fieldset>
          <legend>Streams</legend>
          <div class="row">
            <button
              type="button"
              disabled={!spec || busy !== undefined}
              onClick={async () =>
                setStreams(
                  await run("discover", () =>
                    api.post<Stream[]>(`/api/connectors/${encodeURIComponent(connector)}/discover`, probeBody()),
                  ),
                )
              }
            >
              {busy === "discover" ? "Asking the connector…" : "Discover streams"}
            </button>
            <span class="muted">{selected === null ? "all streams" : `${selected.length} selected`}</span>
          </div>
          {streams && (
            <ul class="streams">
              {streams.map((s) => (
                <li key={s.name}>
                  <label class="toggle">
                    <input
                      type="checkbox"
                      data-stream={s.name}
                      checked={selected === null || selected.includes(s.name)}
                      onChange={(e) => {
                        const all = streams.map((x) => x.name);
                        const current = selected ?? all;
                        const next = (e.target as HTMLInputElement).checked
                          ? [...current, s.name]
                          : current.filter((n) => n !== s.name);
                        setSelected(next.length === all.length ? null : next);
                      }}
                    />{" "}
                    <strong>{s.name}</strong>{" "}
                    <span class="muted">
                      key {s.primaryKey.join(", ") || "(none: appended)"} · {s.fields.length} fields ·{" "}
                      {s.syncModes.join(", ")}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          )}
        </fieldset>

        <fieldset>
          <legend>Destination</legend>
          <div class="grid2">
            <div class="field">
              <label for="destination">Database</label>
              <input
                id="destination"
                value={destination}
                placeholder="the server's database"
                onInput={(e) => setDestination((e.target as HTMLInputElement).value)}
              />
              <small class="help">A SQLite file, postgres://host/db (password from the server's PGPASSWORD or ~/.pgpass), or duckdb:file.</small>
            </div>
            <div class="field">
              <label for="table-prefix">Table prefix</label>
              <input
                id="table-prefix"
                value={tablePrefix}
                placeholder={`${name || "<name>"}_`}
                onInput={(e) => setTablePrefix((e.target as HTMLInputElement).value)}
              />
            </div>
          </div>
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          <div class="row wrap">
            <select id="schedule-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as ScheduleKind)}>
              <option value="none">none (run by hand)</option>
              <option value="every">every…</option>
              <option value="cron">cron expression</option>
            </select>
            {kind === "every" && (
              <>
                <input
                  id="schedule-every"
                  type="number"
                  min={1}
                  value={every}
                  class="short"
                  onInput={(e) => setEvery((e.target as HTMLInputElement).value)}
                />
                <select
                  id="schedule-unit"
                  value={unit}
                  onChange={(e) => setUnit((e.target as HTMLSelectElement).value as Unit)}
                >
                  {Object.keys(UNITS).map((u) => (
                    <option key={u} value={u}>
                      {u}
                    </option>
                  ))}
                </select>
              </>
            )}
            {kind === "cron" && (
              <input
                id="schedule-cron"
                value={cron}
                placeholder="0 * * * *"
                class="mono"
                onInput={(e) => setCron((e.target as HTMLInputElement).value)}
              />
            )}
            {kind !== "none" && (
              <label class="toggle">
                <input type="checkbox" checked={paused} onChange={(e) => setPaused((e.target as HTMLInputElement).checked)} />{" "}
                paused
              </label>
            )}
          </div>
        </fieldset>

        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy !== undefined || !connector || !spec}>
            {busy === "save" ? "Saving…" : existing ? "Save" : "Create connection"}
          </button>
          <a href={existing ? `/connections/${existing.id}` : "/connections"}>Cancel</a>
        </div>
      </form>
    </Page>
  );
}

function scheduleParts(schedule: Schedule | null): { kind: ScheduleKind; every: string; unit: Unit; cron: string } {
  if (!schedule) return { kind: "none", every: "1", unit: "h", cron: "" };
  if ("cron" in schedule) return { kind: "cron", every: "1", unit: "h", cron: schedule.cron };
  const s = schedule.everySeconds;
  const unit: Unit = s % 86400 === 0 ? "d" : s % 3600 === 0 ? "h" : s % 60 === 0 ? "min" : "s";
  return { kind: "every", every: String(s / UNITS[unit]), unit, cron: "" };
}
