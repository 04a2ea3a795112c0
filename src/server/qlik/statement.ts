/**
 * The statements Sluice's Qlik server answers (DataInfo.statement):
 *
 *   SELECT <columns | *> FROM <table> [WHERE …] [GROUP BY …] [ORDER BY …] [LIMIT n]
 *       over the store, in SQLite's syntax (an optional leading "SQL", as in
 *       a Qlik load script, is ignored). `*` means the table's columns
 *       without Sluice's bookkeeping (_sluice_sync_id, _sluice_version).
 *   {"connector": "<installed connector>", "stream": "<name>", "options": {…}}
 *       a live read of an installed go-plugin connector (any protocol Sluice
 *       speaks), when the server allows live sources; "config" may stand for
 *       "options", "protocol" picks sluice or c1. A shell command ("command")
 *       is refused: a client never chooses what the server runs.
 */
import { SluiceError } from "../../errors.js";

export class StatementError extends SluiceError {
  constructor(problem: string) {
    super("QLIK_STATEMENT_INVALID", `statement: ${problem}`);
  }
}

export interface SqlStatement {
  kind: "sql";
  /** The select list as written, or "*". */
  columns: string;
  table: string;
  /** WHERE / GROUP BY / ORDER BY / LIMIT as written, possibly empty. */
  rest: string;
}

export interface SourceStatement {
  kind: "source";
  connector: string;
  stream?: string;
  /** Options for the connector: a JSON object, or a raw string passed as is. */
  options?: Record<string, unknown> | string;
  protocol?: string;
}

export type Statement = SqlStatement | SourceStatement;

const GRAMMAR =
  'expected SELECT <columns | *> FROM <table> [WHERE …] [LIMIT n], or a JSON object such as {"connector": …, "stream": …, "options": …}';
const SOURCE_KEYS = ["connector", "stream", "options", "config", "protocol"];

export function parseStatement(text: string): Statement {
  const trimmed = text
    .trim()
    .replace(/;\s*$/, "")
    .replace(/^SQL\s+/i, "");
  return trimmed.startsWith("{") ? parseSource(trimmed) : parseSql(trimmed);
}

function parseSql(sql: string): SqlStatement {
  const select = /^SELECT\s/i.exec(sql);
  if (!select) throw new StatementError(`${GRAMMAR}; got "${abbreviate(sql)}"`);
  const from = findTopLevelFrom(sql, select[0].length);
  if (from < 0) throw new StatementError(`no FROM <table> in "${abbreviate(sql)}"`);
  const columns = sql.slice(select[0].length, from).trim();
  if (!columns) throw new StatementError(`no columns between SELECT and FROM in "${abbreviate(sql)}"`);
  const afterFrom = sql.slice(from + 4).trimStart();
  const identifier = readIdentifier(afterFrom);
  if (!identifier) throw new StatementError(`expected a table name after FROM in "${abbreviate(sql)}"`);
  const rest = afterFrom.slice(identifier.length).trim();
  if (rest && !/^(WHERE|GROUP\s+BY|ORDER\s+BY|LIMIT)\b/i.test(rest)) {
    throw new StatementError(
      `after the table name only WHERE, GROUP BY, ORDER BY and LIMIT may follow; got "${abbreviate(rest)}"`,
    );
  }
  return { kind: "sql", columns, table: unquote(identifier.text), rest };
}

/** Index of the FROM keyword outside quotes and parentheses, or -1. */
function findTopLevelFrom(sql: string, start: number): number {
  let depth = 0;
  for (let i = start; i < sql.length; i++) {
    const c = sql[i];
    const close = closingQuote(c);
    if (close) {
      i = sql.indexOf(close, i + 1);
      if (i < 0) return -1;
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && /^FROM\b/i.test(sql.slice(i, i + 5)) && !/[\w$]/.test(sql[i - 1] ?? "")) return i;
  }
  return -1;
}

function closingQuote(c: string): string | undefined {
  return c === "'" || c === '"' || c === "`" ? c : c === "[" ? "]" : undefined;
}

/** A table name: bare, "quoted" (with "" inside), `quoted` or [bracketed]. */
function readIdentifier(text: string): { text: string; length: number } | undefined {
  const match = /^("(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)/.exec(text);
  return match ? { text: match[1], length: match[1].length } : undefined;
}

function unquote(identifier: string): string {
  const first = identifier[0];
  if (first === '"') return identifier.slice(1, -1).replaceAll('""', '"');
  if (first === "`" || first === "[") return identifier.slice(1, -1);
  return identifier;
}

function parseSource(text: string): SourceStatement {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StatementError(`a statement starting with "{" must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new StatementError("the JSON form must be an object");
  const fields = parsed as Record<string, unknown>;
  if (fields.command !== undefined)
    throw new StatementError(
      '"command" is never run: a client does not choose what the server starts. Name an installed connector with "connector" (the server must allow it with --live-sources)',
    );
  const unknown = Object.keys(fields).filter((k) => !SOURCE_KEYS.includes(k));
  if (unknown.length)
    throw new StatementError(
      `unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")}; known: ${SOURCE_KEYS.join(", ")}`,
    );
  const stringField = (key: string) => {
    const value = fields[key];
    if (value !== undefined && typeof value !== "string") throw new StatementError(`"${key}" must be a string`);
    return value as string | undefined;
  };
  if (fields.connector === undefined)
    throw new StatementError('"connector" is required: an installed connector\'s name');
  if (fields.options !== undefined && fields.config !== undefined)
    throw new StatementError('give "options" or "config", not both');
  const options = fields.options ?? fields.config;
  if (
    options !== undefined &&
    typeof options !== "string" &&
    (typeof options !== "object" || options === null || Array.isArray(options))
  ) {
    throw new StatementError('"options" must be a JSON object or a string');
  }
  return {
    kind: "source",
    connector: stringField("connector") as string,
    stream: stringField("stream"),
    protocol: stringField("protocol"),
    options: options as SourceStatement["options"],
  };
}

function abbreviate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
