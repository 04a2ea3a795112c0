/** `sluice serve qlik`: the store (and live sources) as a Qlik data connector. */
import { Command } from "commander";
import { resolve } from "node:path";
import { UsageError } from "../../errors.js";
import { Registry } from "../../registry/index.js";
import { DEFAULT_CHUNK_BYTES } from "../../server/qlik/chunk-stream.js";
import { startQlikServer } from "../../server/qlik/server.js";
import type { CliContext } from "../context.js";

interface ServeQlikFlags {
  listen: string;
  db: string;
  chunkBytes: string;
  startTimeout: string;
}

export function serveCommand(context: () => CliContext): Command {
  const serve = new Command("serve").description("serve Sluice's data to other systems");
  const qlik = new Command("qlik")
    .description(
      "serve the store, and live connector reads, as a Qlik data connector (gRPC GetData, revisions qlik and qlik.connect)",
    )
    .option("--listen <host:port>", "address to listen on (port 0: any free port)", "127.0.0.1:50051")
    .option("--db <file>", "SQLite database file, opened read-only", "sluice.db")
    .option("--chunk-bytes <bytes>", "target encoded size of a DataChunk", String(DEFAULT_CHUNK_BYTES))
    .option("--start-timeout <seconds>", "how long a live source's connector may take to start", "60")
    .addHelpText(
      "after",
      `
Statements (DataInfo.statement):
  SELECT <columns | *> FROM <table> [WHERE …] [ORDER BY …] [LIMIT n]    any table or view of the store
  {"command": "<shell command>", "stream": "<name>", "options": {…}}    a live read of a go-plugin connector
  {"connector": "<installed name>", "stream": "<name>", "config": {…}}  the same, for an installed connector
The connection string (key=value;… or a JSON object), user and password are
merged into a live source's options. There is no authentication: listen on a
private address. See docs/qlik.md.
`,
    )
    .action(async (flags: ServeQlikFlags, command: Command) => {
      const ctx = context();
      const server = await startQlikServer({
        listen: flags.listen,
        db: resolve(flags.db),
        chunkBytes: positive(flags.chunkBytes, "--chunk-bytes"),
        startTimeoutMs: positive(flags.startTimeout, "--start-timeout") * 1000,
        version: command.parent?.parent?.version(),
        logger: ctx.logger.child({ server: "qlik" }),
        resolveConnector: installedConnector,
      });
      ctx.result(
        { listening: server.address, db: resolve(flags.db), revisions: ["qlik.connect", "qlik"] },
        `serving Qlik GetData (qlik.connect and qlik) on ${server.address} from ${resolve(flags.db)}; Ctrl-C stops`,
      );
      const signal = await untilSignal();
      ctx.logger.info("stopping", { signal });
      await server.close();
    })
    .exitOverride()
    .showHelpAfterError();
  return serve.addCommand(qlik);
}

/** {"connector": name} statements run the installed connector of that name. */
function installedConnector(name: string): { command: string; cwd: string } {
  const registry = Registry.open();
  try {
    return registry.runnable(name);
  } finally {
    registry.close();
  }
}

function positive(value: string, flag: string): number {
  const number = Number(value);
  if (!(number > 0)) throw new UsageError(`${flag} must be a positive number (got "${value}")`);
  return number;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop).on("SIGTERM", stop);
  });
}
