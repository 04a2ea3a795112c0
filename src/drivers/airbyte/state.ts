/**
 * The source's state as Sluice keeps it between runs: exactly what goes back
 * to the source as `--state`. LEGACY state is one object; per-stream STATE
 * messages are kept per stream (the latest of each); a GLOBAL one replaces
 * the lot. Saved only together with the records before it. Integers beyond
 * 2^53 in it (a cursor) stay exact both ways.
 */
import { jsonText, parseJsonExact } from "../../protocol/json.js";
import type { StateMessage } from "./protocol.js";

const keyOf = (descriptor: { name: string; namespace?: string }) =>
  `${descriptor.namespace ?? ""}\u0000${descriptor.name}`;

export class SourceState {
  private legacy: unknown;
  private global: StateMessage | undefined;
  private readonly perStream = new Map<string, StateMessage>();

  /** Reads what `toText()` wrote (or any valid `--state` file content). */
  static fromText(text: string): SourceState {
    const state = new SourceState();
    if (!text) return state;
    const value = parseJsonExact(text);
    if (Array.isArray(value)) for (const message of value as StateMessage[]) state.add(message);
    else state.legacy = value;
    return state;
  }

  get isEmpty(): boolean {
    return this.legacy === undefined && this.global === undefined && this.perStream.size === 0;
  }

  add(message: StateMessage): void {
    switch (message.type ?? "LEGACY") {
      case "GLOBAL":
        this.global = message;
        this.perStream.clear();
        return;
      case "STREAM":
        if (message.stream) this.perStream.set(keyOf(message.stream.stream_descriptor), message);
        return;
      default:
        this.legacy = message.data;
    }
  }

  toText(): string {
    if (this.global) return jsonText([this.global]);
    if (this.perStream.size) return jsonText([...this.perStream.values()]);
    return jsonText(this.legacy ?? {});
  }
}
