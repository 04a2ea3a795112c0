/** A connection's tables, page by page. */
import { api, type Connection, type RowsPage, type TableInfo } from "../api";
import { ErrorBox, Loading, Page, useLoad } from "../components/common";
import { Value } from "../components/Record";
import { navigate, query } from "../router";

const PAGE_SIZE = 50;

export function DataPage({ id, path }: { id: number; path: string }) {
  const params = query(path);
  const [connection, connectionError] = useLoad(() => api.get<Connection>(`/api/connections/${id}`), [id]);
  const [tables, tablesError] = useLoad(() => api.get<TableInfo[]>(`/api/connections/${id}/tables`), [id]);
  const table = params.get("table") ?? tables?.[0]?.table;
  const offset = Number(params.get("offset") ?? 0);
  const [page, pageError] = useLoad(
    () =>
      table
        ? api.get<RowsPage>(`/api/connections/${id}/tables/${encodeURIComponent(table)}/rows?offset=${offset}&limit=${PAGE_SIZE}`)
        : Promise.resolve(undefined),
    [id, table, offset],
  );
  const go = (t: string, o: number) => navigate(`/connections/${id}/data?table=${encodeURIComponent(t)}&offset=${o}`);

  return (
    <Page
      title={
        <>
          Data of <a href={`/connections/${id}`}>{connection?.name ?? `#${id}`}</a>
        </>
      }
      actions={
        <a class="button" href={`/search?connection=${id}`}>
          Search
        </a>
      }
    >
      <ErrorBox error={connectionError ?? tablesError ?? pageError} />
      {!tables && <Loading />}
      {tables?.length === 0 && <p class="muted">No tables yet: run the connection first.</p>}
      {tables && tables.length > 0 && (
        <div class="tabs" role="tablist">
          {tables.map((t) => (
            <button
              type="button"
              role="tab"
              key={t.table}
              aria-selected={t.table === table}
              onClick={() => go(t.table, 0)}
            >
              {t.stream} <span class="muted">{t.rows.toLocaleString()}</span>
            </button>
          ))}
        </div>
      )}
      {page && (
        <>
          <p class="muted">
            Table <code>{page.table}</code>: rows {page.total === 0 ? 0 : page.offset + 1}–
            {Math.min(page.offset + page.limit, page.total)} of {page.total.toLocaleString()}
          </p>
          <div class="table-wrap">
            <table class="list data">
              <thead>
                <tr>
                  {page.columns.map((c) => (
                    <th key={c}>{c}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.rows.map((row, i) => (
                  <tr key={i}>
                    {page.columns.map((c) => (
                      <td key={c}>
                        <Value value={row[c]} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="row">
            <button type="button" disabled={offset === 0} onClick={() => go(page.table, Math.max(0, offset - PAGE_SIZE))}>
              ← Previous
            </button>
            <button
              type="button"
              disabled={offset + PAGE_SIZE >= page.total}
              onClick={() => go(page.table, offset + PAGE_SIZE)}
            >
              Next →
            </button>
          </div>
        </>
      )}
    </Page>
  );
}
