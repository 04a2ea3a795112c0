/**
 * Options validation: when a connector publishes a JSON Schema of its
 * options, the raw options string is checked against it before any work, and
 * every problem is reported with the option's path.
 */
import type { Ajv, ErrorObject } from "ajv";
import { messageOf, SluiceError } from "../errors.js";
import { parseJsonQuietly } from "../json.js";
import { createAjv } from "../json-schema.js";

export class OptionsError extends SluiceError {
  constructor(
    connector: string,
    readonly problems: string[],
  ) {
    super(
      "OPTIONS_INVALID",
      `options for connector "${connector}" are invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}

// logger: false — connector schemas use formats Ajv does not know (e.g. "password"); they are hints, not errors to print.
let ajv: Ajv | undefined;

export function validateOptions(connector: string, schema: object | undefined, options: string): void {
  if (!schema) return;
  let parsed: unknown;
  try {
    parsed = parseJsonQuietly(options === "" ? "{}" : options);
  } catch (error) {
    throw new OptionsError(connector, [
      `options must be JSON (the connector publishes a JSON Schema for them), and they are ${messageOf(error)}`,
    ]);
  }
  ajv ??= createAjv({ allErrors: true, strict: false, logger: false });
  const validate = ajv.compile(schema);
  if (!validate(parsed)) throw new OptionsError(connector, (validate.errors ?? []).map(describeProblem));
}

function describeProblem(error: ErrorObject): string {
  const where = error.instancePath ? `option "${error.instancePath.slice(1).replaceAll("/", ".")}"` : "options";
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") return `option "${String(params.missingProperty)}" is required`;
  if (error.keyword === "additionalProperties")
    return `option "${String(params.additionalProperty)}" is not known to this connector`;
  if (error.keyword === "enum") return `${where} must be one of ${JSON.stringify(params.allowedValues)}`;
  return `${where} ${error.message ?? "is invalid"}`;
}
