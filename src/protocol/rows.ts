/** A row of a page: one record's fields by name, or a delete marker for the row with a key. */

export type Row = Record<string, unknown>;

/** Marks a row of a page as "delete the row with this key" instead of an upsert (see `deletion`). */
export const DELETE = Symbol("sluice.delete");

/** A page entry that deletes the row whose primary key fields equal `key`'s. */
export function deletion(key: Row): Row {
  return { ...key, [DELETE]: true };
}
