/** `sluice syncs`: the sync log of a store. */
import { Command } from "commander";
import { SqliteStore } from "../../engine/index.js";
import type { CliContext } from "../context.js";

export function syncsCommand(context: () => CliContext): Command {
  return new Command("syncs")
    .description("show the sync log: when each sync ran, its status and counts")
    .option("--db <file>", "SQLite database file", "sluice.db")
    .option("--limit <n>", "how many of the latest syncs", "20")
    .action(async (flags: { db: string; limit: string }) => {
      const ctx = context();
      const store = SqliteStore.open(flags.db);
      try {
        const syncs = await store.listSyncs(Number(flags.limit) || 20);
        const human = syncs
          .map(
            (s) =>
              `#${s.id} ${s.status.padEnd(9)} ${s.connector} (${s.protocol}) ${s.startedAt} pages=${s.pages} ` +
              `inserted=${s.inserted} updated=${s.updated} unchanged=${s.unchanged}${s.error ? `\n    error: ${s.error.split("\n").join("\n    ")}` : ""}`,
          )
          .join("\n");
        ctx.result(syncs, human || "(no syncs yet)");
      } finally {
        await store.close();
      }
    });
}
