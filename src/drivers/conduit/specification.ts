/**
 * A Conduit connector's specification (from Specify) as the host sees it:
 * config errors, and the specification as text. Checking a config against
 * the parameters is shared with the SDK, which checks it again on the
 * connector's side (src/sdk/conduit/parameters.ts).
 */
import { SluiceError } from "../../errors.js";
import { Parameter_Type, Validation_Type } from "../../protocol/gen/config/v1/parameter.js";
import type { Specification } from "../../protocol/gen/connector/v2/specifier.js";
import { type ConnectorSide, paramsFor } from "../../sdk/conduit/parameters.js";

export type { Specification };
export { checkConfig, type ConduitConfig, type ConnectorSide, paramsFor } from "../../sdk/conduit/parameters.js";

export class ConfigError extends SluiceError {
  constructor(connector: string, side: ConnectorSide, problems: string[]) {
    super("OPTIONS_INVALID", `the ${side} config of "${connector}" is not valid:\n  ${problems.join("\n  ")}`);
  }
}

const TYPE_NAMES: Record<Parameter_Type, string> = {
  [Parameter_Type.TYPE_UNSPECIFIED]: "string",
  [Parameter_Type.TYPE_STRING]: "string",
  [Parameter_Type.TYPE_INT]: "int",
  [Parameter_Type.TYPE_FLOAT]: "float",
  [Parameter_Type.TYPE_BOOL]: "bool",
  [Parameter_Type.TYPE_FILE]: "file",
  [Parameter_Type.TYPE_DURATION]: "duration",
  [Parameter_Type.UNRECOGNIZED]: "string",
};

export const typeName = (type: Parameter_Type): string => TYPE_NAMES[type] ?? "string";

/** The specification as text, for `sluice connectors describe`. */
export function describeSpecification(spec: Specification): string {
  const lines = [`${spec.name} ${spec.version}${spec.author ? ` by ${spec.author}` : ""}`];
  if (spec.summary) lines.push(spec.summary);
  for (const side of ["source", "destination"] as const) {
    const params = Object.entries(paramsFor(spec, side)).sort(([a], [b]) => a.localeCompare(b));
    lines.push("", params.length ? `${side} parameters:` : `no ${side}`);
    for (const [name, param] of params) {
      const rules = param.validations.map((rule) => describeRule(rule)).filter(Boolean);
      const details = [typeName(param.type), param.default !== "" ? `default ${param.default}` : "", ...rules]
        .filter(Boolean)
        .join(", ");
      lines.push(`  ${name} (${details})`);
      if (param.description) lines.push(...wrap(param.description, DESCRIPTION_WIDTH, "      "));
    }
  }
  return lines.join("\n");
}

/**
 * One side's parameters as a JSON Schema, for forms: each a field (typed
 * nowhere: a Conduit config is a map of strings, and numbers given as JSON
 * are taken too), with its default, and its type and rules in words (parameters named by a pattern, with `*`, left out). The
 * rules are not schema keywords: the connector's own
 * check (refuseInvalidConfig, then the connector) enforces them, with
 * Conduit's messages.
 */
export function parametersSchema(spec: Specification, side: ConnectorSide): Record<string, unknown> {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [name, param] of Object.entries(paramsFor(spec, side)).sort(([a], [b]) => a.localeCompare(b))) {
    // "collections.*.format.type": a pattern of names, not one field; such options are still allowed.
    if (name.includes("*")) continue;
    const rules = param.validations.map((rule) => describeRule(rule)).filter(Boolean);
    const kind = [typeName(param.type), ...rules].join(", ");
    properties[name] = {
      description: [param.description.trim(), `(${kind})`].filter(Boolean).join(" "),
      ...(param.default !== "" ? { default: param.default } : {}),
    };
  }
  return { type: "object", properties };
}

const DESCRIPTION_WIDTH = 100;

/** A description in full, its words wrapped to lines of at most `width` columns (a longer word gets its own line). */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.trim().split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

function describeRule(rule: { type: Validation_Type; value: string }): string {
  switch (rule.type) {
    case Validation_Type.TYPE_REQUIRED:
      return "required";
    case Validation_Type.TYPE_GREATER_THAN:
      return `> ${rule.value}`;
    case Validation_Type.TYPE_LESS_THAN:
      return `< ${rule.value}`;
    case Validation_Type.TYPE_INCLUSION:
      return `one of ${rule.value}`;
    case Validation_Type.TYPE_EXCLUSION:
      return `not ${rule.value}`;
    case Validation_Type.TYPE_REGEX:
      return `matches ${rule.value}`;
    default:
      return "";
  }
}
