/**
 * A source's stdout as protocol messages, one JSON object per line (Airbyte,
 * Singer), never more than a line in memory (at most MESSAGE_LINE_MAX_BYTES
 * long: a longer one is an error naming the limit). Lines that are not JSON objects
 * are the connector's own chatter (handed back as text); a line that starts
 * like one and does not parse, or has no "type", is an error naming its line
 * number. Integers beyond 2^53 arrive exact, as bigint (protocol/json.ts).
 * A protocol's `problem` check refuses messages that lack the fields its
 * driver reads (a RECORD without its record), so a broken connector is named
 * as such instead of surfacing as a TypeError deep in the driver.
 */
import type { Readable } from "node:stream";
import { ConnectorProtocolError } from "../../errors.js";
import { MESSAGE_LINE_MAX_BYTES, readLines } from "../../process/index.js";
import { parseJsonExact } from "../../protocol/json.js";

export class MalformedLineError extends ConnectorProtocolError {
  constructor(connector: string, line: number, text: string, problem: string) {
    super(
      `connector "${connector}": line ${line} of its output is not a valid message (${problem}): ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`,
    );
  }
}

/** A line's message with its length in characters (what it weighs in a page), or its text when it was not one. */
export type LineEvent<M> =
  | { kind: "message"; message: M; line: number; length: number }
  | { kind: "text"; text: string; line: number };

/** What is wrong with a message whose JSON parsed, or undefined when its driver can read it. */
export type MessageProblem = (message: { type: string } & Record<string, unknown>) => string | undefined;

export async function* jsonLines<M extends { type: string }>(
  output: Readable,
  connector: string,
  problem: MessageProblem = () => undefined,
): AsyncGenerator<LineEvent<M>> {
  let number = 0;
  const parse = (text: string): LineEvent<M> | undefined => {
    number++;
    const trimmed = text.trim();
    if (!trimmed) return undefined;
    if (!trimmed.startsWith("{")) return { kind: "text", text: trimmed, line: number };
    let value: unknown;
    try {
      value = parseJsonExact(trimmed);
    } catch (error) {
      throw new MalformedLineError(connector, number, trimmed, (error as Error).message);
    }
    if (typeof (value as { type?: unknown }).type !== "string")
      throw new MalformedLineError(connector, number, trimmed, 'no "type"');
    const wrong = problem(value as { type: string } & Record<string, unknown>);
    if (wrong) throw new MalformedLineError(connector, number, trimmed, wrong);
    return { kind: "message", message: value as M, line: number, length: trimmed.length };
  };
  const limit = { maxBytes: MESSAGE_LINE_MAX_BYTES, overflow: "fail", source: `connector "${connector}"` } as const;
  for await (const line of readLines(output, limit)) {
    const event = parse(line);
    if (event) yield event;
  }
}
