/**
 * JSON text both ways without rounding integers beyond 2^53. Reading (pages,
 * Airbyte and Singer lines): an integer beyond 2^53 becomes a
 * bigint, where JSON.parse would silently give the nearest double (so two
 * records keyed 9007199254740993 and 9007199254740992 would merge into one
 * row). Every other number stays a JavaScript number.
 *
 * JSON.parse stays the fast path: only text with a run of 16 or more digits
 * can hold such an integer (2^53 has 16 digits), and only that text goes
 * through lossless-json, which hands each number over as its source text.
 */
import { randomBytes } from "node:crypto";
import { parse as parseLossless } from "lossless-json";

const INTEGER_TEXT = /^-?\d+$/;

/** Digits in a row that an integer needs before it can exceed 2^53. */
const LONG_RUN = 16;

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * Whether `text` holds 16 digits in a row. The same answer as /\d{16}/, four times faster on pages without
 * one (every page, nearly): it looks at every 16th character, and only around a digit found there at more.
 */
export function hasLongDigitRun(text: string): boolean {
  let at = LONG_RUN - 1;
  while (at < text.length) {
    if (!isDigit(text.charCodeAt(at))) {
      // No run through `at`: the next one that could fit ends at least LONG_RUN further on.
      at += LONG_RUN;
      continue;
    }
    let start = at;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= LONG_RUN) return true;
    at = end + LONG_RUN;
  }
  return false;
}

/** Parses like JSON.parse (same SyntaxError on bad text), with unsafe integers as bigint. */
export function parseJsonExact(text: string): unknown {
  if (!hasLongDigitRun(text)) return JSON.parse(text);
  try {
    return parseLossless(text, null, exactNumber);
  } catch (error) {
    // The same kind of error as the fast path, so callers handle one type.
    throw new SyntaxError((error as Error).message);
  }
}

function exactNumber(text: string): number | bigint {
  const number = Number(text);
  return Number.isSafeInteger(number) || !INTEGER_TEXT.test(text) ? number : BigInt(text);
}

/** Marks a bigint inside JSON text until it is put back as a number; random, so no real string matches it. */
const BIGINT_MARK = `sluice-bigint-${randomBytes(8).toString("hex")}:`;
const BIGINT_MARKED = new RegExp(`"${BIGINT_MARK}(-?\\d+)"`, "g");

/** JSON text of any value, with bigints (also nested) as exact JSON numbers (JSON.stringify throws on them). */
export function jsonText(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? `${BIGINT_MARK}${v}` : v), indent).replace(
      BIGINT_MARKED,
      "$1",
    );
  }
}
