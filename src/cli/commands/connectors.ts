/**
 * `sluice connectors install | update | remove | list | show`: installed
 * connectors, from JSON manifests (src/registry). Install and update print
 * every command they will run and ask first; `--yes` answers for the user,
 * and is required when there is no terminal to ask on.
 */
import { Command } from "commander";
import { createInterface } from "node:readline/promises";
import { CONNECTOR_PROTOCOLS, detectProtocol } from "../../engine/index.js";
import { SluiceError } from "../../errors.js";
import { LineSplitter, LOG_LINE_MAX_BYTES, onInterrupt } from "../../process/index.js";
import {
  type Installation,
  loadManifest,
  type Outcome,
  type Plan,
  Registry,
  type RunOptions,
} from "../../registry/index.js";
import { BUILTIN_PREFIX, openConduitConnector } from "../conduit-options.js";
import type { CliContext } from "../context.js";
import { renderTable } from "../table.js";
import { printable } from "../terminal.js";
import { positiveNumber } from "../numbers.js";

interface RunFlags {
  yes?: boolean;
  dryRun?: boolean;
  timeout: string;
  maxSize: string;
}

const DEFAULT_TIMEOUT_SECONDS = "600";
const DEFAULT_MAX_SIZE_MIB = "1024";
const LOG_LINES_SHOWN = 40;

export function connectorsCommand(context: () => CliContext): Command {
  const command = new Command("connectors")
    .description("install connectors from JSON manifests, and update, remove, list and show them")
    .addHelpText(
      "after",
      `
Installed connectors live in $SLUICE_HOME (default ~/.sluice) and run by name:
  sluice connectors install ./s3.json
  sluice connectors install https://example.com/s3.json --name s3-eu --yes
  sluice sync s3 --options '{"bucket": "b"}'

Manifest schema: schemas/manifest.schema.json`,
    );
  for (const sub of [
    installCommand(context),
    updateCommand(context),
    removeCommand(context),
    listCommand(context),
    showCommand(context),
    describeCommand(context),
  ]) {
    command.addCommand(sub.exitOverride().showHelpAfterError());
  }
  return command;
}

function withRunOptions(command: Command): Command {
  return command
    .option("-y, --yes", "run without asking (required when there is no terminal)")
    .option("--dry-run", "print what would run, and stop")
    .option("--timeout <seconds>", "stop and fail if fetching and building take longer", DEFAULT_TIMEOUT_SECONDS)
    .option("--max-size <MiB>", "largest download, and largest unpacked archive", DEFAULT_MAX_SIZE_MIB);
}

function installCommand(context: () => CliContext): Command {
  return withRunOptions(
    new Command("install")
      .description("fetch a connector's source, run its install_command, and make it runnable by name")
      .argument("<manifest>", "manifest: a file, an http(s) URL, or - for stdin")
      .option("--name <name>", "install under this name instead of the manifest's (to install one manifest twice)"),
  ).action(async (location: string, flags: RunFlags & { name?: string }) => {
    const ctx = context();
    const loaded = await loadManifest(location, {
      signal: AbortSignal.timeout(positiveNumber(flags.timeout, "--timeout") * 1000),
    });
    for (const warning of loaded.warnings) ctx.logger.warn(printable(`manifest ${loaded.origin}: ${warning}`));
    await withRegistry((registry) =>
      execute(ctx, registry.planInstall(loaded, flags.name), flags, (plan, options) => registry.install(plan, options)),
    );
  });
}

function updateCommand(context: () => CliContext): Command {
  return withRunOptions(
    new Command("update")
      .description(
        "fetch the connector anew (VCS: git pull) and run its update_command or install_command; the old one runs until the new one is ready",
      )
      .argument("<name>", "an installed connector"),
  ).action(async (name: string, flags: RunFlags) => {
    const ctx = context();
    await withRegistry((registry) =>
      execute(ctx, registry.planUpdate(name), flags, (plan, options) => registry.update(plan, options)),
    );
  });
}

function removeCommand(context: () => CliContext): Command {
  return new Command("remove")
    .description("delete an installed connector's folder and its entry in the index")
    .argument("<name>", "an installed connector")
    .action(async (name: string) => {
      const ctx = context();
      await withRegistry(async (registry) => {
        const removed = await registry.remove(name);
        ctx.result(removed, `removed "${name}" (deleted ${removed.folder})`);
      });
    });
}

function listCommand(context: () => CliContext): Command {
  return new Command("list")
    .description("the installed connectors: name, source, version, when installed, status")
    .action(async () => {
      const ctx = context();
      await withRegistry(async (registry) => {
        const installations = registry.list();
        ctx.result(
          installations.map((i) => ({ ...i, folder: registry.details(i.name).folder })),
          printable(renderList(installations, registry.home), { keepNewlines: true }),
        );
      });
    });
}

function showCommand(context: () => CliContext): Command {
  return new Command("show")
    .description("an installed connector: its manifest, folder, status and last install log")
    .argument("<name>", "an installed connector")
    .action(async (name: string) => {
      const ctx = context();
      await withRegistry(async (registry) => {
        const details = registry.details(name);
        const log = details.logText?.trimEnd().split("\n") ?? [];
        const human = [
          `${details.name}${details.manifest.description ? ` — ${details.manifest.description}` : ""}`,
          `  status:        ${describeStatus(details)}`,
          `  version:       ${details.version ?? "-"}`,
          `  installed at:  ${details.installedAt ?? "-"}`,
          `  folder:        ${details.folder ?? "(none)"}`,
          `  starts with:   ${details.manifest.command}`,
          `  protocol:      ${details.protocol ?? "(not detected; declare it in the manifest)"}`,
          `  manifest (from ${details.origin}):`,
          indent(JSON.stringify(details.manifest, null, 2), 4),
          `  last log: ${details.log ?? "(none)"}${log.length > LOG_LINES_SHOWN ? ` (its last ${LOG_LINES_SHOWN} lines)` : ""}`,
          indent(log.slice(-LOG_LINES_SHOWN).join("\n"), 4),
        ];
        ctx.result(details, printable(human.join("\n"), { keepNewlines: true }));
      });
    });
}

async function execute(
  ctx: CliContext,
  plan: Plan,
  flags: RunFlags,
  run: (plan: Plan, options: RunOptions) => Promise<Outcome>,
): Promise<void> {
  const options = runOptions(ctx, plan.name, flags);
  printPlan(ctx, plan, options.timeoutSeconds);
  if (flags.dryRun) {
    ctx.result({ dryRun: true, ...planSummary(plan) }, "dry run: nothing was fetched or run");
    return;
  }
  await confirm(plan, flags.yes === true);
  const cancel = new AbortController();
  const stopHandling = onInterrupt(() => cancel.abort(new SluiceError("INSTALL_CANCELLED", "interrupted (Ctrl-C)")));
  try {
    const outcome = await run(plan, { ...options, signal: cancel.signal });
    const verb = plan.action === "install" ? "installed" : "updated";
    const { version, folder, log, durationMs, protocol } = outcome;
    ctx.result(
      outcome,
      `${verb} "${plan.name}"${version ? ` (version ${version})` : ""} in ${(durationMs / 1000).toFixed(1)} s\n` +
        `  folder:   ${folder}\n  log:      ${log}\n` +
        `  protocol: ${protocol ?? `not detected: declare "protocol" in the manifest (one of ${CONNECTOR_PROTOCOLS.join(", ")})`}\n` +
        `  run it:   sluice sync ${plan.name} --options '…'`,
    );
  } finally {
    stopHandling();
  }
}

function runOptions(ctx: CliContext, name: string, flags: RunFlags): RunOptions {
  const timeoutSeconds = positiveNumber(flags.timeout, "--timeout");
  const maxBytes = Math.round(positiveNumber(flags.maxSize, "--max-size") * 1024 * 1024);
  return {
    timeoutSeconds,
    maxBytes,
    detectProtocol: (connector) => detectProtocol(connector, { logger: ctx.logger }),
    echo: ctx.json
      ? jsonLines((line) => ctx.logger.info(line, { connector: name, output: true }))
      : (text) => process.stderr.write(text),
  };
}

function printPlan(ctx: CliContext, plan: Plan, timeoutSeconds: number): void {
  if (ctx.json) {
    ctx.logger.info(`${plan.action} plan`, planSummary(plan));
    return;
  }
  const { manifest } = plan;
  const lines = [
    `${plan.action === "install" ? "Install" : "Update"} connector "${plan.name}"${manifest.description ? ` — ${manifest.description}` : ""}`,
    `  from ${manifest.source} ${manifest.uri}${manifest.ref ? ` (ref ${manifest.ref})` : ""}`,
    `  will run, in order (all within ${timeoutSeconds} s):`,
    ...plan.steps.map((step, i) => `    ${i + 1}. ${step}`),
    `  then runs on \`sluice sync ${plan.name}\`: sh -c ${JSON.stringify(manifest.command)} (from the source root), ` +
      (manifest.protocol ? `speaking ${manifest.protocol}` : "its protocol detected once it is built"),
  ];
  // One line each: a newline in a description must not pass for a line of the plan.
  process.stderr.write(lines.map((line) => printable(line)).join("\n") + "\n");
}

function planSummary(plan: Plan): Record<string, unknown> {
  return {
    action: plan.action,
    name: plan.name,
    source: plan.manifest.source,
    uri: plan.manifest.uri,
    folder: plan.folder,
    steps: plan.steps,
    command: plan.manifest.command,
  };
}

async function confirm(plan: Plan, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new SluiceError(
      "CONFIRMATION_REQUIRED",
      `${plan.action} runs the commands listed above; there is no terminal to ask on, so pass --yes to confirm (nothing was done)`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${plan.action === "install" ? "Install" : "Update"} "${plan.name}"? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new SluiceError("NOT_CONFIRMED", `${plan.action} of "${plan.name}" not confirmed; nothing was done`);
  } finally {
    prompt.close();
  }
}

function renderList(installations: Installation[], home: string): string {
  if (installations.length === 0) return `(no connectors installed in ${home})`;
  const rows = installations.map((i) => [
    i.name,
    `${i.manifest.source} ${i.manifest.uri}`,
    shortVersion(i.version),
    i.installedAt ?? "-",
    describeStatus(i),
  ]);
  return renderTable(["NAME", "SOURCE", "VERSION", "INSTALLED AT", "STATUS"], rows);
}

function describeStatus(installation: Installation): string {
  if (installation.status === "update failed") return `installed; the last update failed (${installation.attemptedAt})`;
  return installation.status;
}

/** A 40-digit commit reads better as 12. */
function shortVersion(version: string | undefined): string {
  if (!version) return "-";
  return /^[0-9a-f]{40}$/.test(version) ? version.slice(0, 12) : version;
}

/** With --json, command output becomes one log entry per line. */
function jsonLines(emit: (line: string) => void): (text: string) => void {
  const lines = new LineSplitter({ maxBytes: LOG_LINE_MAX_BYTES, overflow: "cut", source: "install" }, emit);
  return (text) => lines.push(text);
}

function indent(text: string, spaces: number): string {
  return text
    .split("\n")
    .map((line) => " ".repeat(spaces) + line)
    .join("\n");
}

async function withRegistry<T>(work: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = Registry.open();
  try {
    return await work(registry);
  } finally {
    registry.close();
  }
}

function describeCommand(context: () => CliContext): Command {
  return new Command("describe")
    .description("a Conduit connector's specification: name, version, author, source and destination parameters")
    .argument("<connector>", `an installed name, a command or path to an executable, or ${BUILTIN_PREFIX}<module>`)
    .action(async (target: string) => {
      const ctx = context();
      const { ConnectorUtilities, describeSpecification } = await import("../../engine/drivers.js");
      const utilities = await ConnectorUtilities.start();
      try {
        const handle = await openConduitConnector(target, { utilities, logger: ctx.logger, connectorId: "describe" });
        try {
          const spec = await handle.specify();
          ctx.result(spec, describeSpecification(spec));
        } finally {
          await handle.close();
        }
      } finally {
        await utilities.close();
      }
    });
}
