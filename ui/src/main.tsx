/** The web UI: a single-page app over the API (everything it does goes through /api). */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, loadSession, type SessionInfo } from "./api";
import { ErrorBox, Loading } from "./components/common";
import { ConnectionDetailPage } from "./pages/ConnectionDetail";
import { ConnectionFormPage } from "./pages/ConnectionForm";
import { ConnectionsPage } from "./pages/Connections";
import { ConnectorsPage } from "./pages/Connectors";
import { DataPage } from "./pages/Data";
import { RunPage } from "./pages/Run";
import { SearchPage } from "./pages/Search";
import { match, navigate, onLinkClick, usePath } from "./router";
import "./styles.css";

function App() {
  const path = usePath();
  const [session, setSession] = useState<SessionInfo>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    loadSession().then(setSession, setError);
  }, []);
  useEffect(() => {
    if (path === "/" || path === "") navigate("/connections", true);
  }, [path]);
  if (error) return <ErrorBox error={error} />;
  if (!session) return <Loading />;
  const section = path.split("/")[1];
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: delegates clicks on real links; keys follow links natively
    <div class="shell" onClick={onLinkClick}>
      <nav class="nav">
        <a class="brand" href="/connections">
          Sluice
        </a>
        <a href="/connections" aria-current={section === "connections" ? "page" : undefined}>
          Connections
        </a>
        <a href="/connectors" aria-current={section === "connectors" ? "page" : undefined}>
          Connectors
        </a>
        <a href="/search" aria-current={section === "search" ? "page" : undefined}>
          Search
        </a>
        <span class="spacer" />
        <span class="who" title={`token ${session.token.id}`}>
          {session.token.name} · {session.token.role}
        </span>
        <button
          type="button"
          class="link"
          onClick={async () => {
            await api.delete("/api/session");
            location.assign("/login");
          }}
        >
          Log out
        </button>
      </nav>
      <main class="main">
        <Route path={path} readOnly={session.token.role === "read"} />
      </main>
    </div>
  );
}

function Route({ path, readOnly }: { path: string; readOnly: boolean }) {
  let params: Record<string, string> | undefined;
  if (match("/connections", path)) return <ConnectionsPage readOnly={readOnly} />;
  if (match("/connections/new", path)) return <ConnectionFormPage />;
  if ((params = match("/connections/:id/edit", path))) return <ConnectionFormPage id={Number(params.id)} />;
  if ((params = match("/connections/:id/data", path))) return <DataPage id={Number(params.id)} path={path} />;
  if ((params = match("/connections/:id", path)))
    return <ConnectionDetailPage id={Number(params.id)} readOnly={readOnly} />;
  if ((params = match("/runs/:id", path))) return <RunPage id={Number(params.id)} readOnly={readOnly} />;
  if (match("/connectors", path)) return <ConnectorsPage readOnly={readOnly} />;
  if (match("/search", path)) return <SearchPage path={path} />;
  return <p>Nothing here. <a href="/connections">Connections</a></p>;
}

render(<App />, document.getElementById("app")!);
