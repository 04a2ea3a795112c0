/**
 * A PostgreSQL URL split at its query and put back together: the one reading of its `?` that
 * settings.ts and servers.ts share. Imports nothing.
 */

/** What comes before the URL's `?`, and the query's parameters (empty where it has none). */
export function splitQuery(url: string): { base: string; query: URLSearchParams } {
  const at = url.indexOf("?");
  if (at < 0) return { base: url, query: new URLSearchParams() };
  return { base: url.slice(0, at), query: new URLSearchParams(url.slice(at + 1)) };
}

/** The URL of `base` with the query's parameters, and no `?` where there are none. */
export function joinQuery(base: string, query: URLSearchParams): string {
  return query.size ? `${base}?${query}` : base;
}
