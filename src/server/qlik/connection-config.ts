/**
 * How a Qlik connection (connection string, user, password) reaches a live
 * source's options. The connection string is either a JSON object or
 * `key=value;key=value` pairs (values that read as JSON numbers or booleans
 * become numbers or booleans); its keys come first, the statement's options
 * override them. User and password are added as "user" and "password" when
 * set and the source accepts them (its options schema names them, allows
 * other keys, or there is no schema).
 */
import { StatementError } from "./statement.js";

export interface ConnectionInfo {
  connectionString: string;
  user: string;
  password: string;
}

export function optionsWithConnection(
  options: Record<string, unknown> | string | undefined,
  connection: ConnectionInfo,
  schema: object | undefined,
): string {
  const fromConnection: Record<string, unknown> = parseConnectionString(connection.connectionString);
  for (const key of ["user", "password"] as const) {
    if (connection[key] && accepts(schema, key)) fromConnection[key] = connection[key];
  }
  if (typeof options === "string") {
    if (Object.keys(fromConnection).length === 0) return options;
    const parsed = options.trim() ? parseObject(options) : {};
    if (!parsed)
      throw new StatementError(
        '"options" is a string that is not a JSON object, so the connection string, user and password cannot be added to it',
      );
    return JSON.stringify({ ...fromConnection, ...parsed });
  }
  if (options === undefined && Object.keys(fromConnection).length === 0) return "";
  return JSON.stringify({ ...fromConnection, ...options });
}

export function parseConnectionString(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (!trimmed) return {};
  if (trimmed.startsWith("{")) {
    const parsed = parseObject(trimmed);
    if (!parsed) throw new StatementError('the connection string starts with "{" but is not a JSON object');
    return parsed;
  }
  const pairs: Record<string, unknown> = {};
  for (const part of trimmed.split(";")) {
    if (!part.trim()) continue;
    const equals = part.indexOf("=");
    if (equals <= 0)
      throw new StatementError(
        `the connection string must be key=value pairs separated by ";" (or a JSON object); "${part.trim()}" has no key=`,
      );
    pairs[part.slice(0, equals).trim()] = scalar(part.slice(equals + 1).trim());
  }
  return pairs;
}

function scalar(value: string): unknown {
  if (value === "true" || value === "false") return value === "true";
  return /^-?(0|[1-9]\d*)(\.\d+)?$/.test(value) && Number.isFinite(Number(value)) ? Number(value) : value;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function accepts(schema: object | undefined, key: string): boolean {
  if (!schema) return true;
  const { properties, additionalProperties } = schema as {
    properties?: Record<string, unknown>;
    additionalProperties?: unknown;
  };
  return (properties !== undefined && key in properties) || additionalProperties !== false;
}
