/**
 * Secrets out of text: every occurrence of a connection's secret values
 * becomes "***" in run logs, errors and stderr tails, whatever a connector
 * chose to print. Values too short to be told from ordinary text are left.
 */
import type { Json } from "../connections/options.js";

const SHORTEST_REDACTED = 4;

export type Redactor = (text: string) => string;

export function redactorFor(secrets: Json[]): Redactor {
  const values = secrets
    .flatMap((secret) => {
      const text = typeof secret === "object" && secret !== null ? JSON.stringify(secret) : String(secret);
      // As printed, and as it appears inside a JSON string (a connector logging its options).
      return [text, JSON.stringify(text).slice(1, -1)];
    })
    .filter((value) => value.length >= SHORTEST_REDACTED)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const pattern = new RegExp(values.map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, "***");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
