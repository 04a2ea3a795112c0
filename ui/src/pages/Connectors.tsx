/** Installed connectors; install from a manifest (pasted or a URL) after reading every step of its plan; update; remove. */
import { useState } from "preact/hooks";
import { api, type Connector, type Plan } from "../api";
import { ErrorBox, formatTime, Loading, Page, useLoad } from "../components/common";

export function ConnectorsPage({ readOnly }: { readOnly: boolean }) {
  const [connectors, error, reload] = useLoad(() => api.get<Connector[]>("/api/connectors"), []);
  const [plan, setPlan] = useState<Plan>();
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();
  const [done, setDone] = useState<string>();

  const act = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setActionError(undefined);
    setDone(undefined);
    try {
      await work();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Page title="Connectors">
      <ErrorBox error={error} />
      {!connectors && !error && <Loading />}
      {connectors?.length === 0 && <p class="muted">No connectors installed yet.</p>}
      {connectors && connectors.length > 0 && (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Source</th>
                <th>Version</th>
                <th>Installed</th>
                <th>Status</th>
                {!readOnly && <th />}
              </tr>
            </thead>
            <tbody>
              {connectors.map((c) => (
                <tr key={c.name}>
                  <td>
                    <strong>{c.name}</strong>
                    {c.description && <div class="muted">{c.description}</div>}
                  </td>
                  <td class="clip" title={c.uri}>
                    {c.source} {c.uri}
                  </td>
                  <td>{c.version ? c.version.slice(0, 12) : "—"}</td>
                  <td>{formatTime(c.installedAt)}</td>
                  <td title={c.error ?? undefined}>{c.status}</td>
                  {!readOnly && (
                    <td class="actions-cell">
                      <button
                        type="button"
                        disabled={busy !== undefined}
                        onClick={() =>
                          act("plan", async () =>
                            setPlan(await api.post<Plan>(`/api/connectors/${encodeURIComponent(c.name)}/update-plans`)),
                          )
                        }
                      >
                        Update
                      </button>
                      <button
                        type="button"
                        class="danger"
                        disabled={busy !== undefined}
                        onClick={() =>
                          confirm(`Remove connector "${c.name}" and its folder?`) &&
                          act("remove", async () => {
                            await api.delete(`/api/connectors/${encodeURIComponent(c.name)}`);
                            setDone(`Removed "${c.name}".`);
                            reload();
                          })
                        }
                      >
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!readOnly && (
        <>
          <h2>Install a connector</h2>
          {plan ? (
            <PlanView
              plan={plan}
              busy={busy}
              onCancel={() => setPlan(undefined)}
              onConfirm={() =>
                act("apply", async () => {
                  const outcome = await api.post<{ name: string; version: string | null }>("/api/connectors/installs", {
                    planId: plan.planId,
                    confirm: true,
                  });
                  setPlan(undefined);
                  setDone(`${plan.action === "install" ? "Installed" : "Updated"} "${outcome.name}"${outcome.version ? ` (${outcome.version.slice(0, 12)})` : ""}.`);
                  reload();
                })
              }
            />
          ) : (
            <InstallForm busy={busy} onPlan={(body) => act("plan", async () => setPlan(await api.post<Plan>("/api/connectors/plans", body)))} />
          )}
        </>
      )}
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      <ErrorBox error={actionError} />
    </Page>
  );
}

function InstallForm({ busy, onPlan }: { busy?: string; onPlan: (body: Record<string, string>) => void }) {
  const [manifest, setManifest] = useState("");
  const [name, setName] = useState("");
  const isUrl = /^https?:\/\/\S+$/.test(manifest.trim());
  return (
    <form
      class="form"
      onSubmit={(e) => {
        e.preventDefault();
        onPlan({ ...(isUrl ? { url: manifest.trim() } : { manifest }), ...(name ? { name } : {}) });
      }}
    >
      <div class="field">
        <label for="manifest">Manifest (JSON) or its URL</label>
        <textarea
          id="manifest"
          class="mono"
          rows={8}
          required
          placeholder={'{\n  "name": "s3",\n  "source": "VCS",\n  "uri": "https://…",\n  "install_command": "go build -o s3 .",\n  "command": "./s3"\n}'}
          value={manifest}
          onInput={(e) => setManifest((e.target as HTMLTextAreaElement).value)}
        />
      </div>
      <div class="field">
        <label for="install-name">Install as (optional)</label>
        <input id="install-name" value={name} placeholder="the manifest's name" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" disabled={busy !== undefined}>
        {busy === "plan" ? "Reading…" : "Show what it will run"}
      </button>
    </form>
  );
}

function PlanView({ plan, busy, onCancel, onConfirm }: { plan: Plan; busy?: string; onCancel: () => void; onConfirm: () => void }) {
  const [agreed, setAgreed] = useState(false);
  return (
    <div class="plan" data-plan={plan.planId}>
      <p>
        <strong>
          {plan.action === "install" ? "Install" : "Update"} "{plan.name}"
        </strong>
        {plan.description && ` — ${plan.description}`}
        <br />
        from {plan.source} {plan.uri}
      </p>
      {plan.warnings.map((w) => (
        <p key={w} class="warn">
          ⚠ {w}
        </p>
      ))}
      <p>It will run, in order, on this server:</p>
      <ol class="steps">
        {plan.steps.map((step) => (
          <li key={step}>
            <code>{step}</code>
          </li>
        ))}
      </ol>
      <p>
        Then it starts with <code>{plan.command}</code> in <code>{plan.folder}</code>.
      </p>
      <label class="toggle">
        <input id="plan-agree" type="checkbox" checked={agreed} onChange={(e) => setAgreed((e.target as HTMLInputElement).checked)} /> I
        read every step above and want them run
      </label>
      <div class="row">
        <button type="button" class="primary" disabled={!agreed || busy !== undefined} onClick={onConfirm}>
          {busy === "apply" ? `${plan.action === "install" ? "Installing" : "Updating"}…` : plan.action === "install" ? "Install" : "Update"}
        </button>
        <button type="button" disabled={busy !== undefined} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
