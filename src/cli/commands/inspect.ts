/** `sluice spec | check | discover`: ask a connector about itself without syncing. */
import { Command } from "commander";
import { checkSource, prepareSource, type SourceDriver } from "../../engine/index.js";
import { addConnectorOptions, type ConnectorFlags, openFromFlags, readOptions } from "../connector-options.js";
import type { CliContext } from "../context.js";

type Inspection = (
  driver: SourceDriver,
  options: string,
  name: string,
) => Promise<{ value: unknown; human: string; ok?: boolean }>;

function inspectCommand(
  name: string,
  description: string,
  withOptions: boolean,
  inspect: Inspection,
  context: () => CliContext,
): Command {
  const command = new Command(name).description(description);
  addConnectorOptions(command, withOptions).action(async (flags: ConnectorFlags) => {
    const ctx = context();
    const options = withOptions ? readOptions(flags) : "";
    const { driver, name: connector } = await openFromFlags(flags, ctx.logger);
    try {
      const { value, human, ok } = await inspect(driver, options, connector);
      ctx.result(value, human);
      if (ok === false) process.exitCode = 1;
    } finally {
      await driver.close();
    }
  });
  return command;
}

export function specCommand(context: () => CliContext): Command {
  return inspectCommand(
    "spec",
    "print the connector's name, version and the JSON Schema of its options",
    false,
    async (driver) => {
      const spec = await driver.spec();
      const schema = spec.optionsSchema ? JSON.stringify(spec.optionsSchema, null, 2) : "(free-form string)";
      return {
        value: { ...spec, protocol: driver.protocol },
        human: `${spec.name} ${spec.version} (${driver.protocol})\n${spec.description}\noptions: ${schema}`,
      };
    },
    context,
  );
}

export function checkCommand(context: () => CliContext): Command {
  return inspectCommand(
    "check",
    "validate options against the connector's schema and its own check",
    true,
    async (driver, options, connector) => {
      const { check: result } = await checkSource({ connector, driver, options });
      return {
        value: result,
        human: result.ok
          ? "ok: the connector accepts these options"
          : `not ok:\n${result.errors.map((e) => `  - ${e}`).join("\n")}`,
        ok: result.ok,
      };
    },
    context,
  );
}

export function discoverCommand(context: () => CliContext): Command {
  return inspectCommand(
    "discover",
    "list the streams the connector can read with these options",
    true,
    async (driver, options, connector) => {
      const { streams } = await prepareSource({ connector, driver, options });
      const human = streams
        .map((s) => {
          const columns = Object.keys(s.jsonSchema.properties ?? {}).join(", ");
          return `${s.name}  key: ${s.primaryKey.join(", ") || "(append)"}  modes: ${s.syncModes.join(", ")}\n  fields: ${columns || "(any)"}`;
        })
        .join("\n");
      return { value: streams, human: human || "(no streams)" };
    },
    context,
  );
}
