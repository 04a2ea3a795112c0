/**
 * JSON.parse whose errors never quote the text. V8's own messages carry a
 * snippet of it (`Unexpected token 'p', "password=hunter2" is not valid
 * JSON`), and the text parsed here is often a connector's options or config,
 * which hold passwords. The problem says where (line and column) and what,
 * never the text. Imports only the error registry.
 */
import { SluiceError } from "./errors.js";

/** Text that should be JSON is not; callers usually rethrow it with what the text was for. */
export class JsonSyntaxError extends SluiceError {
  constructor(problem: string) {
    super("OPTIONS_INVALID", problem);
  }
}

/** Parses `text`; a syntax error becomes a JsonSyntaxError saying where and what, without the text. */
export function parseJsonQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonSyntaxError(describeJsonError(text, error instanceof Error ? error.message : String(error)));
  }
}

/** "not valid JSON at line 1, column 9: unexpected character" from V8's message, minus any quoted text. */
export function describeJsonError(text: string, message: string): string {
  if (text.trim() === "") return "empty, and not valid JSON";
  const positioned = /^(.*?) (in|after) JSON at position (\d+)/s.exec(message);
  const what = positioned
    ? `${positioned[1]}${positioned[2] === "after" ? " after the JSON value" : ""}`
    : /^Unexpected end of JSON input/.test(message)
      ? "the text ends too early"
      : "";
  const position = positioned ? Number(positioned[3]) : firstUnexpected(text);
  const where = position === undefined ? "" : ` at ${lineAndColumn(text, position)}`;
  return `not valid JSON${where}: ${(what || "unexpected character").replace(/^./, (c) => c.toLowerCase())}`;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  return `line ${before.split("\n").length}, column ${position - before.lastIndexOf("\n")}`;
}

/**
 * Where V8's "Unexpected token" (which names no position) happened: the
 * first character no JSON value may hold at that point, found by a small
 * scan of the grammar. Only runs on text that already failed to parse.
 */
function firstUnexpected(text: string): number | undefined {
  let at = 0;
  const space = () => {
    while (/\s/.test(text[at] ?? "")) at++;
  };
  const fail = (): never => {
    throw at;
  };
  const expect = (literal: string) => {
    if (!text.startsWith(literal, at)) fail();
    at += literal.length;
  };
  const string = () => {
    expect('"');
    while (text[at] !== '"') {
      if (at >= text.length || text.charCodeAt(at) < 0x20) fail();
      at += text[at] === "\\" ? 2 : 1;
    }
    at++;
  };
  const container = (close: "}" | "]") => {
    at++;
    space();
    if (text[at] === close) {
      at++;
      return;
    }
    for (;;) {
      if (close === "}") {
        space();
        string();
        space();
        expect(":");
      }
      value();
      space();
      if (text[at] !== ",") break;
      at++;
    }
    expect(close);
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === "{") container("}");
    else if (char === "[") container("]");
    else if (char === '"') string();
    else {
      const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at));
      if (!literal) fail();
      at += literal?.[0].length ?? 0;
    }
  };
  try {
    value();
    space();
    return at < text.length ? at : undefined;
  } catch (position) {
    return typeof position === "number" ? Math.min(position, text.length) : undefined;
  }
}

/** A JSON object (not null, not an array): what a protocol message's object fields must be. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
