/** A tiny router over the History API: paths to pages, links without reloads. */
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  for (const listener of listeners) listener();
}

addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

export function usePath(): string {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return path;
}

/** "/connections/:id" against "/connections/12" → { id: "12" }; undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const [pathname] = path.split("?");
  const want = pattern.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

export function query(path: string): URLSearchParams {
  return new URLSearchParams(path.split("?")[1] ?? "");
}

/** Clicks on internal links move without a reload. */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.target as HTMLElement).closest("a");
  if (!anchor || anchor.target || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  const href = anchor.getAttribute("href");
  if (!href?.startsWith("/") || href.startsWith("/api/")) return;
  event.preventDefault();
  navigate(href);
}
