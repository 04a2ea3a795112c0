/**
 * A Conduit connector's specification (from Specify) and checking a config
 * against its parameters before the connector sees it: required, types,
 * bounds, allowed values, patterns — every problem names the parameter.
 * Parameter names may hold `*` wildcards (e.g. `collections.*.format.type`).
 */
import { SluiceError } from "../../errors.js";
import { type Parameter, Parameter_Type, Validation_Type } from "../../protocol/gen/config/v1/parameter.js";
import type { Specification } from "../../protocol/gen/connector/v2/specifier.js";

export type { Specification };
export type ConnectorSide = "source" | "destination";
export type ConduitConfig = Record<string, string>;

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

/** Go's time.ParseDuration syntax: 1h30m, 250ms, 1.5s, 0. */
const DURATION = /^[-+]?(0|(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;

function typeProblem(type: Parameter_Type, value: string): string | undefined {
  switch (type) {
    case Parameter_Type.TYPE_INT:
      return /^[-+]?\d+$/.test(value) ? undefined : "must be an integer";
    case Parameter_Type.TYPE_FLOAT:
      return value.trim() !== "" && Number.isFinite(Number(value)) ? undefined : "must be a number";
    case Parameter_Type.TYPE_BOOL:
      return /^(1|0|t|f|true|false|TRUE|FALSE|True|False|T|F)$/.test(value) ? undefined : "must be true or false";
    case Parameter_Type.TYPE_DURATION:
      return DURATION.test(value) ? undefined : "must be a duration like 10s, 1m30s or 250ms";
    default:
      return undefined;
  }
}

function validationProblem(rule: { type: Validation_Type; value: string }, value: string): string | undefined {
  const list = () => rule.value.split(",").map((v) => v.trim());
  switch (rule.type) {
    case Validation_Type.TYPE_GREATER_THAN:
      return Number(value) > Number(rule.value) ? undefined : `must be greater than ${rule.value}`;
    case Validation_Type.TYPE_LESS_THAN:
      return Number(value) < Number(rule.value) ? undefined : `must be less than ${rule.value}`;
    case Validation_Type.TYPE_INCLUSION:
      return list().includes(value) ? undefined : `must be one of ${list().join(", ")}`;
    case Validation_Type.TYPE_EXCLUSION:
      return list().includes(value) ? `must not be one of ${list().join(", ")}` : undefined;
    case Validation_Type.TYPE_REGEX:
      return new RegExp(rule.value).test(value) ? undefined : `must match ${rule.value}`;
    default:
      return undefined;
  }
}

function patternOf(name: string): RegExp {
  return new RegExp(
    `^${name
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^.]+")}$`,
  );
}

export function paramsFor(spec: Specification, side: ConnectorSide): Record<string, Parameter> {
  return side === "source" ? spec.sourceParams : spec.destinationParams;
}

/** Every problem of `config` against the side's parameters; unknown keys are warnings, not problems. */
export function checkConfig(
  spec: Specification,
  side: ConnectorSide,
  config: ConduitConfig,
): { problems: string[]; unknown: string[] } {
  const params = Object.entries(paramsFor(spec, side));
  const problems: string[] = [];
  for (const [name, param] of params) {
    const matching = name.includes("*") ? Object.keys(config).filter((key) => patternOf(name).test(key)) : [name];
    for (const key of matching) {
      const value = config[key];
      if (value === undefined || value === "") {
        const required = param.validations.some((v) => v.type === Validation_Type.TYPE_REQUIRED);
        if (required && !name.includes("*") && param.default === "")
          problems.push(`"${key}" is required: ${param.description.split("\n")[0]}`);
        continue;
      }
      const problem =
        typeProblem(param.type, value) ?? param.validations.map((rule) => validationProblem(rule, value)).find(Boolean);
      if (problem) problems.push(`"${key}" ${problem} (got "${value}")`);
    }
  }
  const unknown = Object.keys(config).filter(
    (key) => !params.some(([name]) => (name.includes("*") ? patternOf(name).test(key) : name === key)),
  );
  return { problems, unknown };
}

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
      if (param.description) lines.push(`      ${param.description.trim().split("\n")[0]}`);
    }
  }
  return lines.join("\n");
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
