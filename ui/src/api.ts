/**
 * The API client: same-origin calls with the session cookie, the CSRF token
 * on every change, errors as ApiError with the server's code and field.
 */

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

export interface SessionInfo {
  csrf: string;
  token: { id: string; name: string; role: "admin" | "read" };
}

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

// The API's shapes (see /api/openapi.json).
export type Options = { format: "json"; value: Record<string, unknown> } | { format: "raw"; value: string };
export type Schedule = { cron: string } | { everySeconds: number };
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface Run {
  id: number;
  connectionId: number;
  trigger: string;
  status: RunStatus;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  syncId: number | null;
  pages: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  durationMs: number | null;
  recordsPerSecond: number | null;
  estimatedTotal: number | null;
  error: string | null;
  stderrTail: string | null;
}

export interface LogEntry {
  time: string;
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface RunDetail extends Run {
  connection: string;
  log: LogEntry[];
}

export interface Connection {
  id: number;
  name: string;
  connector: string;
  options: Options;
  secretPaths: string[];
  streams: string[] | null;
  tablePrefix: string | null;
  destination: string | null;
  schedule: Schedule | null;
  paused: boolean;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastRun: Run | null;
}

export interface Connector {
  name: string;
  description: string | null;
  source: string;
  uri: string;
  command: string;
  version: string | null;
  status: string;
  installedAt: string | null;
  error: string | null;
}

export interface Plan {
  planId: string;
  action: "install" | "update";
  name: string;
  description: string | null;
  source: string;
  uri: string;
  folder: string;
  steps: string[];
  command: string;
  warnings: string[];
}

export interface ConnectorSpec {
  name: string;
  protocol: string;
  version: string;
  description: string;
  optionsSchema: JsonSchema | null;
  secretPaths: string[];
}

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

export interface Stream {
  name: string;
  primaryKey: string[];
  cursorField: string | null;
  syncModes: string[];
  fields: string[];
}

export interface TableInfo {
  stream: string;
  table: string;
  primaryKey: string[];
  rows: number;
}

export interface RowsPage {
  table: string;
  columns: string[];
  rows: Record<string, unknown>[];
  total: number;
  offset: number;
  limit: number;
}

export interface SearchHit {
  connectionId: number;
  connection: string;
  stream: string;
  table: string;
  key: Record<string, unknown>;
  record: Record<string, unknown>;
  matched: string[];
  uri: string | null;
}
