/**
 * JSON Schema judgements the checks share: is a schema valid (against the
 * draft-07 meta-schema, unknown keywords allowed, as connectors annotate their
 * schemas), does a field path exist in it, and which records break it, each
 * problem with its path.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
addFormats.default(ajv);
/**
 * "date-time" as Airbyte's acceptance test judges it: ISO 8601 with "T" or a
 * space, the timezone optional (sources emit local timestamps for
 * `timestamp_without_timezone`, and often for the other kind too).
 */
ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$/i);

/** Why `schema` is not a usable JSON Schema; empty when it is. */
export function schemaProblems(schema: unknown): string[] {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema))
    return [
      `a schema must be a JSON object, got ${schema === null ? "null" : Array.isArray(schema) ? "an array" : typeof schema}`,
    ];
  // The draft a schema names does not change what these checks need; draft-07's meta-schema judges them all.
  const { $schema: _draft, ...body } = schema as Record<string, unknown>;
  if (!ajv.validateSchema(body)) return firstPerPath(ajv.errors ?? []).map((error) => describe(error, body));
  try {
    ajv.compile(body);
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** Whether the dotted `path` (e.g. "id", "author.login") names a property the schema declares. */
export function declares(schema: object, path: string): boolean {
  let node: unknown = schema;
  for (const part of path.split(".")) {
    const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!properties || !(part in properties)) return false;
    node = properties[part];
  }
  return true;
}

/** Validates records against one schema, keeping the first problems (with the record's number and the path). */
export class RecordJudge {
  private readonly validate: ValidateFunction;
  readonly problems: string[] = [];
  invalid = 0;
  seen = 0;

  constructor(
    private readonly stream: string,
    schema: object,
    private readonly keep = 5,
  ) {
    const { $schema: _draft, ...body } = schema as Record<string, unknown>;
    this.validate = ajv.compile(body);
  }

  judge(record: unknown): void {
    this.seen++;
    if (this.validate(record)) return;
    this.invalid++;
    if (this.problems.length < this.keep) {
      const errors = (this.validate.errors ?? []).map((error) => describe(error)).join("; ");
      this.problems.push(`stream "${this.stream}", record ${this.seen}: ${errors}`);
    }
  }
}

/** A wrong value breaks every branch of an anyOf at once; its first error (with the value) says enough. */
function firstPerPath(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((error) => !seen.has(error.instancePath) && seen.add(error.instancePath));
}

/** The value at a JSON Pointer, for saying what was found. */
function valueAt(document: unknown, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}

function describe(error: ErrorObject, document?: unknown): string {
  const path = error.instancePath || "/";
  const params = error.params as Record<string, unknown>;
  const found = document === undefined ? "" : ` (got ${JSON.stringify(valueAt(document, error.instancePath))})`;
  if (error.keyword === "required") return `${path}: missing required property "${String(params.missingProperty)}"`;
  if (error.keyword === "additionalProperties")
    return `${path}: property "${String(params.additionalProperty)}" is not declared`;
  if (error.keyword === "enum")
    return `${path}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}${found}`;
  return `${path}: ${error.message ?? `breaks "${error.keyword}"`}${found}`;
}
