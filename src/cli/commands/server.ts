/**
 * `sluice server`: the application (HTTP API, web UI, scheduler) on one
 * database; `sluice server token create | list | revoke` manages who may call it.
 */
import { Command } from "commander";
import { ROLES, type Role, type TokenInfo, Tokens } from "../../server/auth/index.js";
import { type Metadata, openMetadata } from "../../server/metadata/index.js";
import type { CliContext } from "../context.js";

const DB_HELP = "database holding the data and the server's tables (a SQLite file)";

export function serverCommand(context: () => CliContext): Command {
  const server = new Command("server").description("the Sluice application: HTTP API, web UI and scheduler");
  return server.addCommand(tokenCommand(context).exitOverride().showHelpAfterError());
}

function tokenCommand(context: () => CliContext): Command {
  const token = new Command("token")
    .description("API tokens: every API call and page of `sluice server` needs one")
    .addHelpText(
      "after",
      `
Examples:
  sluice server token create --name ci --db sluice.db
  sluice server token create --name dashboards --role read
  sluice server token list
  sluice server token revoke ci`,
    );
  token.addCommand(
    new Command("create")
      .description("make a token and print it once (only its hash is stored)")
      .option("--name <name>", "what the token is for, shown in lists", "token")
      .option("--role <role>", `${ROLES.join(" or ")}: read tokens may only look`, "admin")
      .option("--db <file>", DB_HELP, "sluice.db")
      .action(async (flags: { name: string; role: string; db: string }) => {
        const ctx = context();
        await withMetadata(flags.db, async (metadata) => {
          const { token, info } = await new Tokens(metadata.db).create(flags.name, flags.role as Role);
          ctx.result(
            { token, ...info },
            `${token}\n\nThis is token ${info.id} ("${info.name}", ${info.role}). It is shown only now: keep it somewhere safe.`,
          );
        });
      }),
  );
  token.addCommand(
    new Command("list")
      .description("every token: id, name, role, when made, last used, revoked")
      .option("--db <file>", DB_HELP, "sluice.db")
      .action(async (flags: { db: string }) => {
        const ctx = context();
        await withMetadata(flags.db, async (metadata) => {
          const tokens = await new Tokens(metadata.db).list();
          ctx.result(tokens, renderTokens(tokens));
        });
      }),
  );
  token.addCommand(
    new Command("revoke")
      .description("stop a token (and every browser session made with it) from working, at once")
      .argument("<token>", "the token's id or name")
      .option("--db <file>", DB_HELP, "sluice.db")
      .action(async (idOrName: string, flags: { db: string }) => {
        const ctx = context();
        await withMetadata(flags.db, async (metadata) => {
          const revoked = await new Tokens(metadata.db).revoke(idOrName);
          ctx.result(revoked, `revoked token ${revoked.id} ("${revoked.name}") at ${revoked.revokedAt}`);
        });
      }),
  );
  for (const sub of token.commands) sub.exitOverride().showHelpAfterError();
  return token;
}

async function withMetadata<T>(db: string, work: (metadata: Metadata) => Promise<T>): Promise<T> {
  const metadata = await openMetadata(db);
  try {
    return await work(metadata);
  } finally {
    await metadata.close();
  }
}

function renderTokens(tokens: TokenInfo[]): string {
  if (tokens.length === 0) return "(no tokens yet: `sluice server` makes the first, or `sluice server token create`)";
  const header = ["ID", "NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"];
  const rows = tokens.map((t) => [t.id, t.name, t.role, t.createdAt, t.lastUsedAt ?? "-", t.revokedAt ?? "-"]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
