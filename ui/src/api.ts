/**
 * The API client: same-origin calls with the session cookie, the CSRF token
 * on every change, errors as ApiError with the server's code and field.
 */
import type { Static } from "typebox";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrf = "";

export type SessionInfo = Of<"SessionBody">;

export async function loadSession(): Promise<SessionInfo> {
  const session = await request<SessionInfo>("GET", "/api/session");
  csrf = session.csrf;
  return session;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, "UNAUTHENTICATED", "logged out");
  }
  if (response.status === 204) return undefined as T;
  const data = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (data as { error?: { code: string; message: string; field?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? "HTTP", error?.message ?? response.statusText, error?.field);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

// The API's shapes: the very schemas the server validates and answers with (type-only: nothing of the server is bundled).
type Api = typeof import("../../src/server/http/schemas");
type Of<K extends keyof Api> = Static<Api[K]>;

export type Options = Of<"Options">;
export type Schedule = Of<"Schedule">;
export type RunStatus = Of<"RunStatus">;
export type Run = Of<"Run">;
export type LogEntry = Of<"LogEntry">;
export type RunDetail = Of<"RunDetail">;
export type Connection = Of<"Connection">;
export type Connector = Of<"Connector">;
export type Plan = Of<"Plan">;
export type Stream = Of<"Stream">;
export type TableInfo = Of<"TableInfo">;
export type RowsPage = Of<"RowsPage">;
export type SearchHit = Of<"SearchHit">;
export type ConnectorSpec = Omit<Of<"ConnectorSpec">, "optionsSchema"> & { optionsSchema: JsonSchema | null };

/** The part of JSON Schema the connection form reads. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  order?: number;
  examples?: unknown[];
  [keyword: string]: unknown;
}
