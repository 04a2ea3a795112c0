/**
 * The Singer messages Sluice reads from a tap's stdout (one JSON object per
 * line), as the Singer spec defines them; only the fields Sluice uses are
 * typed, and checked (singerMessageProblem) before the driver reads them.
 */
import { isJsonObject } from "../../json.js";
import type { Row } from "../types.js";

export type SingerMessage =
  | { type: "SCHEMA"; stream: string; schema: object; key_properties?: string[] }
  | { type: "RECORD"; stream: string; record: Row; time_extracted?: string }
  | { type: "STATE"; value: unknown }
  | { type: "ACTIVATE_VERSION"; stream: string; version: number };

/** What keeps a message from being the SingerMessage its type says (other types pass: the driver ignores them). */
export function singerMessageProblem(message: { type: string } & Record<string, unknown>): string | undefined {
  if (message.type !== "RECORD" && message.type !== "SCHEMA") return undefined;
  if (typeof message.stream !== "string") return '"stream" is not a string';
  if (message.type === "RECORD") return isJsonObject(message.record) ? undefined : '"record" is not an object';
  if (!isJsonObject(message.schema)) return '"schema" is not an object';
  const keys = message.key_properties;
  return keys === undefined || (Array.isArray(keys) && keys.every((key) => typeof key === "string"))
    ? undefined
    : '"key_properties" is not an array of strings';
}
