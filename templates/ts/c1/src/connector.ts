/**
 * The {{name}} connector, on c1-core's contract: one `sync(options, pages)`
 * call that sends every object as DataObjects (remote_id, resource_name, uri,
 * metadata) page by page, and returns EndSync's metadata. Edit `objectsFrom`
 * (fetch from your system) and the options.
 *
 * As generated it sends `count` numbered objects, `page_size` per page.
 */
import type { C1Connector, DataObject } from "sluice/sdk";

export interface Options {
  count: number;
  page_size: number;
}

/** The options, or an error naming the option at fault. */
export function parseOptions(raw: string): Options {
  const given = raw.trim() ? (JSON.parse(raw) as Partial<Options>) : {};
  const options = { count: 100, page_size: 25, ...given };
  if (!Number.isInteger(options.count) || options.count < 0)
    throw new Error('option "count": must be an integer, 0 or more');
  if (!Number.isInteger(options.page_size) || options.page_size < 1)
    throw new Error('option "page_size": must be an integer, 1 or more');
  return options;
}

/** Every object to send: replace with what your system holds. */
export function objectsFrom(options: Options): DataObject[] {
  return Array.from({ length: options.count }, (_, index) => ({
    remoteId: `object-${index + 1}`,
    resourceName: `Object ${index + 1}`,
    uri: `https://example.com/objects/${index + 1}`,
    metadata: JSON.stringify({ position: index + 1 }),
  }));
}

export const connector: C1Connector = {
  sync: async (raw, pages) => {
    const options = parseOptions(raw);
    const objects = objectsFrom(options);
    for (let offset = 0; offset < objects.length; offset += options.page_size)
      await pages.upsert(objects.slice(offset, offset + options.page_size));
    return JSON.stringify({ message: "success", objects: objects.length });
  },
};
