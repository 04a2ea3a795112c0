/**
 * The {{name}} connector. Edit this file: `spec` (name, version, the JSON
 * Schema of the options), `check` (problems with the options, each naming the
 * option), `discover` (the streams and their record schemas) and `read`
 * (fetch from your system, write pages, checkpoint the state).
 *
 * As generated it reads `count` numbered items, `page_size` per page, and
 * checkpoints the last id, so the next run reads only newer items.
 */
import { type Connector, InvalidOptionsError, type StreamDefinition } from "sluice/sdk";

export interface Options {
  count: number;
  page_size: number;
}

export interface Item {
  id: number;
  name: string;
}

export interface State {
  last_id: number;
}

const optionsSchema = {
  type: "object",
  properties: {
    count: { type: "integer", minimum: 0, default: 100, description: "how many items there are" },
    page_size: { type: "integer", minimum: 1, default: 25, description: "items per page" },
  },
  additionalProperties: false,
};

export const itemsStream: StreamDefinition = {
  name: "items",
  jsonSchema: {
    type: "object",
    properties: { id: { type: "integer" }, name: { type: "string" } },
    required: ["id", "name"],
  },
  primaryKey: ["id"],
  cursorField: "id",
  syncModes: ["full_refresh", "incremental"],
};

/** The options as the connector uses them, or every problem, each naming the option. */
export function parseOptions(raw: string): { options?: Options; problems: string[] } {
  let given: Record<string, unknown>;
  try {
    given = raw.trim() ? JSON.parse(raw) : {};
  } catch (error) {
    return { problems: [`the options are not JSON: ${(error as Error).message}`] };
  }
  if (typeof given !== "object" || given === null || Array.isArray(given))
    return { problems: ["the options must be a JSON object"] };
  const options = { count: 100, page_size: 25, ...given } as Options;
  const problems: string[] = [];
  if (!Number.isInteger(options.count) || options.count < 0)
    problems.push('option "count": must be an integer, 0 or more');
  if (!Number.isInteger(options.page_size) || options.page_size < 1)
    problems.push('option "page_size": must be an integer, 1 or more');
  for (const key of Object.keys(given))
    if (!(key in optionsSchema.properties)) problems.push(`option "${key}": unknown`);
  return problems.length ? { problems } : { options, problems };
}

/** The items after `lastId`: replace with what your system returns. */
export function itemsAfter(lastId: number, options: Options): Item[] {
  const items: Item[] = [];
  for (let id = lastId + 1; id <= options.count; id++) items.push({ id, name: `item ${id}` });
  return items;
}

function optionsOrThrow(raw: string): Options {
  const { options, problems } = parseOptions(raw);
  if (!options) throw new InvalidOptionsError(problems.join("; "));
  return options;
}

export const connector: Connector = {
  spec: () => ({ name: "{{name}}", version: "0.1.0", description: "{{name}} connector", optionsSchema }),
  check: (raw) => parseOptions(raw).problems,
  discover: () => [itemsStream],
  read: async (request, writer) => {
    const options = optionsOrThrow(request.options);
    const incremental = request.streams.find((s) => s.name === itemsStream.name)?.syncMode === "incremental";
    const start = incremental ? ((request.state as State | undefined)?.last_id ?? 0) : 0;
    const items = itemsAfter(start, options);
    for (let offset = 0; offset < items.length; offset += options.page_size) {
      const page = items.slice(offset, offset + options.page_size);
      const checkpoint: State = { last_id: page[page.length - 1].id };
      await writer.write(itemsStream.name, page as unknown as Record<string, unknown>[], {
        checkpoint,
        estimatedTotal: items.length,
      });
    }
  },
};
