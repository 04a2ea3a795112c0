/** `sluice syncs`: the sync log of a store. */
import { Command } from "commander";
import { SILENT_LIMIT_SECONDS, type SyncLogEntry, THIS_PROCESS } from "../../engine/index.js";
import type { CliContext } from "../context.js";
import { addStoreOptions, openStoreFromFlags, STORE_HELP, type StoreFlags } from "../store-options.js";
import { positiveInteger } from "../numbers.js";

export function syncsCommand(context: () => CliContext): Command {
  return addStoreOptions(
    new Command("syncs").description("show the sync log: when each sync ran, its status and counts"),
    true,
  )
    .option("--limit <n>", "how many of the latest syncs", "20")
    .addHelpText(
      "after",
      `
Examples:
  sluice syncs --db data.db --limit 5
  sluice syncs --db postgres://me@localhost/analytics --json
${STORE_HELP}`,
    )
    .action(async (flags: StoreFlags & { limit: string }) => {
      const ctx = context();
      const limit = positiveInteger(flags.limit, "--limit"); // before the store is opened
      const store = await openStoreFromFlags(ctx, flags, true);
      try {
        const syncs = await store.listSyncs(limit);
        const human = syncs
          .map(
            (s) =>
              `#${s.id} ${s.status.padEnd(9)} ${s.connector} (${s.protocol}) ${s.startedAt} pages=${s.pages} ` +
              `inserted=${s.inserted} updated=${s.updated} unchanged=${s.unchanged}${s.error ? `\n    error: ${s.error.split("\n").join("\n    ")}` : ""}` +
              runner(s),
          )
          .join("\n");
        ctx.result(syncs, human || "(no syncs yet)");
      } finally {
        await store.close();
      }
    });
}

/**
 * For an entry still marked running: the process that runs it (to wait for, or to stop), and what this
 * machine knows of it: ended (kill -9, a crash), and what happens next; or another machine's.
 */
function runner(entry: SyncLogEntry): string {
  if (entry.status !== "running" || !entry.owner) return "";
  const who = THIS_PROCESS.describe(entry.owner);
  switch (THIS_PROCESS.stillRuns(entry.owner)) {
    case true:
      return `\n    run by ${who}`;
    case false:
      return `\n    ${who} has ended without finishing it: the connector's next sync closes it as interrupted`;
    default:
      return `\n    ${otherMachine(who, entry.silentSeconds)}`;
  }
}

/** A process this machine cannot see: judged, where the store keeps them, by its signs of life (as a claim does). */
function otherMachine(who: string, silentSeconds: number | undefined): string {
  if (silentSeconds === undefined)
    return `run by ${who}, which cannot be checked from this machine; a sync of the connector there closes it if that process has ended`;
  const ago = silentSeconds < 120 ? `${Math.round(silentSeconds)} s` : `${Math.round(silentSeconds / 60)} minutes`;
  const limit = `${SILENT_LIMIT_SECONDS / 60} minutes`;
  return silentSeconds < SILENT_LIMIT_SECONDS
    ? `run by ${who}, which last said it runs ${ago} ago; a sync of the connector is refused until it finishes or stays silent for ${limit}`
    : `${who} has given no sign of life for ${ago}: the connector's next sync closes it as interrupted`;
}
