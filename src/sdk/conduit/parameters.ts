/**
 * A config against a connector's parameters, every problem naming the
 * parameter: required, types, bounds, allowed values, patterns. Names may
 * hold `*` wildcards (e.g. `collections.*.format.type`). Sluice checks a
 * config before a connector sees it; the SDK checks again on the connector's
 * side and fills in the defaults, as Conduit's Go SDK does, so a connector
 * Conduit runs is held to its specification too.
 */
import { type Parameter, Parameter_Type, Validation_Type } from "../../protocol/gen/config/v1/parameter.js";
import type { Specification } from "../../protocol/gen/connector/v2/specifier.js";
import type { ConduitConfig } from "./types.js";

export type ConnectorSide = "source" | "destination";
export type { ConduitConfig };

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

/** The config with the parameters' defaults where a value is missing or empty, and every problem with it. */
export function configWithDefaults(
  spec: Specification,
  side: ConnectorSide,
  config: ConduitConfig,
): { config: ConduitConfig; problems: string[] } {
  const filled: ConduitConfig = { ...config };
  for (const [name, param] of Object.entries(paramsFor(spec, side)))
    if (!name.includes("*") && param.default !== "" && !filled[name]) filled[name] = param.default;
  return { config: filled, problems: checkConfig(spec, side, filled).problems };
}
