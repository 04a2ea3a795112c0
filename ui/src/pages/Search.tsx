/** Find a record across every source: the text is matched against every column of every connection's tables. */
import { useState } from "preact/hooks";
import { api, type SearchHit } from "../api";
import { ErrorBox, Loading, Page, useLoad } from "../components/common";
import { Value } from "../components/Record";
import { navigate, query } from "../router";

export function SearchPage({ path }: { path: string }) {
  const params = query(path);
  const q = params.get("q") ?? "";
  const connection = params.get("connection");
  const [text, setText] = useState(q);
  const [hits, error] = useLoad(
    () =>
      q
        ? api.get<SearchHit[]>(
            `/api/search?q=${encodeURIComponent(q)}&limit=100${connection ? `&connectionId=${connection}` : ""}`,
          )
        : Promise.resolve(undefined),
    [q, connection],
  );
  return (
    <Page title="Search">
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/search?q=${encodeURIComponent(text)}${connection ? `&connection=${connection}` : ""}`);
        }}
      >
        <input
          id="search"
          type="search"
          placeholder="a name, an id, an email…"
          value={text}
          autoFocus
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <ErrorBox error={error} />
      {q && !hits && !error && <Loading />}
      {hits?.length === 0 && <p class="muted">Nothing contains “{q}”.</p>}
      {hits && hits.length > 0 && (
        <ul class="hits">
          {hits.map((hit, i) => (
            <li key={i} class="hit">
              <div class="hit-head">
                <a href={`/connections/${hit.connectionId}/data?table=${encodeURIComponent(hit.table)}`}>
                  {hit.connection} › {hit.stream}
                </a>
                {Object.keys(hit.key).length > 0 && (
                  <span class="muted">
                    {" "}
                    {Object.entries(hit.key)
                      .map(([k, v]) => `${k}=${String(v)}`)
                      .join(", ")}
                  </span>
                )}
                {hit.uri && (
                  <a class="open" href={hit.uri} target="_blank" rel="noreferrer noopener">
                    open in source ↗
                  </a>
                )}
              </div>
              <table class="record">
                <tbody>
                  {Object.entries(hit.record)
                    .filter(([k]) => hit.matched.includes(k) || Object.keys(hit.key).includes(k))
                    .concat(Object.entries(hit.record).filter(([k]) => !hit.matched.includes(k) && !Object.keys(hit.key).includes(k)).slice(0, 4))
                    .map(([k, v]) => (
                      <tr key={k} class={hit.matched.includes(k) ? "matched" : undefined}>
                        <th>{k}</th>
                        <td>
                          <Value value={v} />
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
