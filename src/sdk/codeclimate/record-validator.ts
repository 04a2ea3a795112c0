/**
 * Validates records against Sluice's JSON Schemas of the Code Climate record
 * types (schemas/codeclimate), compiled once per type on first use.
 *
 * Where the upstream validator has known quirks, Sluice validates what the
 * schemas evidently mean (docs/codeclimate.md lists each decision). One quirk
 * is kept behind `compat: "upstream"` because it is cheap: upstream finds a
 * schema by dashing only the first camel-case boundary of `_type`, so
 * PullRequestComment, PullRequestEvent and TestResultTotals are rejected as
 * unrecognized there.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { readdirSync, readFileSync } from "node:fs";
import { SCHEMA_DIR } from "./schema-dir.js";

export type ValidationCompat = "sluice" | "upstream";

const UPSTREAM_UNREACHABLE_TYPES = new Set(["PullRequestComment", "PullRequestEvent", "TestResultTotals"]);

export interface RecordSchema {
  $id: string;
  title: string;
  properties: Record<string, { type?: string | string[]; format?: string }>;
  required: string[];
}

/** Every record type's schema, by `_type`. */
export function loadRecordSchemas(): Map<string, RecordSchema> {
  const schemas = new Map<string, RecordSchema>();
  for (const file of readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith(".schema.json"))
    .sort()) {
    const schema = JSON.parse(readFileSync(SCHEMA_DIR + file, "utf8")) as RecordSchema;
    schemas.set(schema.title, schema);
  }
  return schemas;
}

export class RecordValidator {
  private static instance: RecordValidator | undefined;
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly schemas = loadRecordSchemas();

  constructor(readonly compat: ValidationCompat = "sluice") {
    addFormats.default(this.ajv);
    for (const schema of this.schemas.values()) this.ajv.addSchema(schema);
  }

  /** The validator every producer shares; SLUICE_CODECLIMATE_COMPAT=upstream selects the quirk. */
  static shared(): RecordValidator {
    return (RecordValidator.instance ??= new RecordValidator(
      process.env.SLUICE_CODECLIMATE_COMPAT === "upstream" ? "upstream" : "sluice",
    ));
  }

  get types(): string[] {
    return [...this.schemas.keys()];
  }

  /** Every problem of `record` as `<path> <what was expected>`; empty when valid. */
  problems(record: unknown): string[] {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      return [
        `a record must be an object, got ${record === null ? "null" : Array.isArray(record) ? "an array" : typeof record}`,
      ];
    }
    const type = (record as { _type?: unknown })._type;
    if (type === undefined || type === null || type === "") return ['missing required attribute "_type"'];
    const validate = typeof type === "string" ? this.validatorFor(type) : undefined;
    if (!validate) return [`${JSON.stringify(type)} is not a recognized record type`];
    return validate(record) ? [] : describeErrors(validate.errors ?? []);
  }

  private validatorFor(type: string): ValidateFunction | undefined {
    if (this.compat === "upstream" && UPSTREAM_UNREACHABLE_TYPES.has(type)) return undefined;
    let validate = this.compiled.get(type);
    if (!validate) {
      const schema = this.schemas.get(type);
      if (!schema) return undefined;
      validate = this.ajv.getSchema(schema.$id);
      if (!validate) return undefined;
      this.compiled.set(type, validate);
    }
    return validate;
  }
}

/** `/owner/logins/0` → `.owner.logins[0]`, the dotted form upstream's messages use. */
function dotted(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join("");
}

function describeError(error: ErrorObject): string | undefined {
  const path = dotted(error.instancePath);
  const at = (text: string) => (path ? `${path} ${text}` : text);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "if":
      return undefined; // the branch's own error says what is wrong
    case "required":
      return at(`missing required attribute "${String(params.missingProperty)}"`);
    case "const":
      return at(`must be ${JSON.stringify(params.allowedValue)}`);
    case "enum":
      return at(`must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`);
    case "format":
      return at(`must match format "${String(params.format)}"`);
    case "type":
      return at(`must be of type ${Array.isArray(params.type) ? params.type.join(" or ") : String(params.type)}`);
    default:
      return at(error.message ?? `fails "${error.keyword}"`);
  }
}

function describeErrors(errors: ErrorObject[]): string[] {
  return [...new Set(errors.map(describeError).filter((text): text is string => text !== undefined))];
}
