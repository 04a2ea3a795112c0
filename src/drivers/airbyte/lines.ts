/**
 * A source's stdout as Airbyte messages, one line at a time, never the whole
 * output in memory. Lines that are not JSON objects are the connector's own
 * chatter (logged); a line that starts like one and does not parse is an
 * error naming its line number.
 */
import type { Readable } from "node:stream";
import { SluiceError } from "../../errors.js";
import type { AirbyteMessage } from "./protocol.js";

export class MalformedLineError extends SluiceError {
  constructor(connector: string, line: number, text: string, problem: string) {
    super("CONNECTOR_PROTOCOL_VIOLATION", `connector "${connector}": line ${line} of its output is not a valid Airbyte message (${problem}): ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`);
  }
}

export type LineEvent = { kind: "message"; message: AirbyteMessage; line: number } | { kind: "text"; text: string; line: number };

export async function* airbyteLines(output: Readable, connector: string): AsyncGenerator<LineEvent> {
  let partial = "";
  let number = 0;
  const parse = (text: string): LineEvent | undefined => {
    number++;
    const trimmed = text.trim();
    if (!trimmed) return undefined;
    if (!trimmed.startsWith("{")) return { kind: "text", text: trimmed, line: number };
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new MalformedLineError(connector, number, trimmed, (error as Error).message);
    }
    const type = (value as { type?: unknown }).type;
    if (typeof type !== "string") throw new MalformedLineError(connector, number, trimmed, 'no "type"');
    return { kind: "message", message: value as AirbyteMessage, line: number };
  };
  output.setEncoding("utf8"); // decodes characters split across chunks
  for await (const chunk of output) {
    const lines = (partial + (chunk as string)).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const event = parse(line);
      if (event) yield event;
    }
  }
  const last = partial ? parse(partial) : undefined;
  if (last) yield last;
}
