/** Numeric flags, checked once the same way everywhere: the flag and the value it got. */
import { UsageError } from "../errors.js";

export function positiveNumber(value: string, flag: string): number {
  const number = Number(value);
  if (!(number > 0)) throw new UsageError(`${flag} must be a positive number (got "${value}")`);
  return number;
}

export function optionalPositiveNumber(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : positiveNumber(value, flag);
}

export function positiveInteger(value: string, flag: string): number {
  const number = positiveNumber(value, flag);
  if (!Number.isInteger(number)) throw new UsageError(`${flag} must be a whole number (got "${value}")`);
  return number;
}
