/** A connector's TypeScript specification as the protocol's Specification message, and configs checked against it. */
import { SluiceError } from "../../errors.js";
import { type Parameter, Parameter_Type, Validation_Type } from "../../protocol/gen/config/v1/parameter.js";
import type { Specifier_Specify_Response } from "../../protocol/gen/connector/v1/connector.js";
import type { Specification } from "../../protocol/gen/connector/v2/specifier.js";
import { type ConduitConfig, type ConnectorSide, configWithDefaults } from "./parameters.js";
import type { ConduitSpecification, ParameterSpec, ParameterType, ValidationType } from "./types.js";

const TYPES: Record<ParameterType, Parameter_Type> = {
  string: Parameter_Type.TYPE_STRING,
  int: Parameter_Type.TYPE_INT,
  float: Parameter_Type.TYPE_FLOAT,
  bool: Parameter_Type.TYPE_BOOL,
  file: Parameter_Type.TYPE_FILE,
  duration: Parameter_Type.TYPE_DURATION,
};

const VALIDATIONS: Record<ValidationType, Validation_Type> = {
  required: Validation_Type.TYPE_REQUIRED,
  "greater-than": Validation_Type.TYPE_GREATER_THAN,
  "less-than": Validation_Type.TYPE_LESS_THAN,
  inclusion: Validation_Type.TYPE_INCLUSION,
  exclusion: Validation_Type.TYPE_EXCLUSION,
  regex: Validation_Type.TYPE_REGEX,
};

function parameter(spec: ParameterSpec): Parameter {
  return {
    default: spec.default ?? "",
    description: spec.description ?? "",
    type: TYPES[spec.type ?? "string"],
    validations: (spec.validations ?? []).map((v) => ({ type: VALIDATIONS[v.type], value: v.value ?? "" })),
  };
}

const parameters = (specs: Record<string, ParameterSpec> = {}): Record<string, Parameter> =>
  Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, parameter(spec)]));

export function toSpecification(spec: ConduitSpecification): Specification {
  return {
    name: spec.name,
    summary: spec.summary ?? "",
    description: spec.description ?? "",
    version: spec.version,
    author: spec.author ?? "",
    sourceParams: parameters(spec.sourceParams),
    destinationParams: parameters(spec.destinationParams),
  };
}

/** Version 1's flat specification: the same parameters in v1's own Parameter message. */
export function toV1Specification(spec: ConduitSpecification): Specifier_Specify_Response {
  const { sourceParams, destinationParams, ...fields } = toSpecification(spec);
  const v1 = (params: Record<string, Parameter>) =>
    Object.fromEntries(
      Object.entries(params).map(([name, p]) => [
        name,
        {
          ...p,
          required: false,
          type: p.type as number,
          validations: p.validations.map((v) => ({ type: v.type as number, value: v.value })),
        },
      ]),
    );
  return { ...fields, sourceParams: v1(sourceParams), destinationParams: v1(destinationParams) };
}

/**
 * Configures a source or destination with `config` completed with the
 * parameters' defaults, after checking it against them (as Conduit's Go SDK
 * does): a config the specification forbids is refused, naming each problem.
 */
export async function configureChecked(
  spec: ConduitSpecification,
  side: ConnectorSide,
  target: { configure(config: ConduitConfig): Promise<void> },
  config: ConduitConfig,
): Promise<void> {
  const checked = configWithDefaults(toSpecification(spec), side, config);
  if (checked.problems.length)
    throw new SluiceError(
      "OPTIONS_INVALID",
      `the ${side} config of "${spec.name}" is not valid: ${checked.problems.join("; ")}`,
    );
  await target.configure(checked.config);
}
