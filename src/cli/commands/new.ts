/** `sluice new`: a connector project from the package's templates (src/scaffold). */
import { Command } from "commander";
import { relative } from "node:path";
import { type Language, LANGUAGES, offered, PROTOCOLS, type ScaffoldProtocol, scaffold } from "../../scaffold/index.js";
import type { CliContext } from "../context.js";

interface NewFlags {
  lang: Language;
  protocol: ScaffoldProtocol;
  dir?: string;
  module?: string;
}

export function newCommand(context: () => CliContext): Command {
  const combinations = Object.entries(offered())
    .map(([language, protocols]) => `  ${language.padEnd(7)} ${protocols.join(", ")}`)
    .join("\n");
  return new Command("new")
    .description("make a connector project: it builds, has its own tests, passes `sluice test`, and installs")
    .argument("<name>", "the connector's name (lower-case letters, digits and '-')")
    .requiredOption("--lang <language>", `the language: ${LANGUAGES.join(", ")}`)
    .option("--protocol <protocol>", `the protocol it speaks: ${PROTOCOLS.join(", ")}`, "sluice")
    .option("--dir <folder>", "where the project goes (default: ./<name>); must not exist, or be empty")
    .option("--module <path>", "Go module path (--lang go; default example.com/<name>)")
    .addHelpText(
      "after",
      `
Templates (language: protocols):
${combinations}

Examples:
  sluice new tickets --lang ts                          # native protocol, TypeScript
  sluice new orders --lang go --protocol c1 --module github.com/acme/orders
  sluice new invoices --lang python
  sluice new pagerduty --lang ts --protocol codeclimate # package codeclimate-connector-pagerduty
  sluice new queue --lang ts --protocol conduit         # a Conduit source and destination`,
    )
    .action((name: string, flags: NewFlags) => {
      const ctx = context();
      const made = scaffold({
        name,
        language: flags.lang,
        protocol: flags.protocol,
        directory: flags.dir ?? name,
        goModule: flags.module,
      });
      const where = relative(process.cwd(), made.directory) || ".";
      ctx.result(
        { ...made, language: flags.lang, protocol: flags.protocol },
        [
          `made ${where}/ (${flags.lang}, ${flags.protocol} protocol): ${made.files.join(", ")}`,
          "next:",
          `  cd ${where}`,
          ...made.nextSteps.map((step) => `  ${step}`),
        ].join("\n"),
      );
    });
}
