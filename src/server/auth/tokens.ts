/**
 * API tokens: random bearer secrets, stored only as their SHA-256 (a token
 * has 256 bits of randomness, so a fast hash is enough; nothing to brute-force).
 * The token text carries its public id (`sluice_<id>_<secret>`) so lists,
 * revocations and logs can name a token without holding it.
 */
import { createHash, randomBytes } from "node:crypto";
import { ServerError } from "../errors.js";
import { type MetadataDb, now } from "../metadata/index.js";

import { ROLES, type Role } from "./roles.js";

export { ROLES, type Role };

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedToken {
  /** The secret, shown once: only its hash is stored. */
  token: string;
  info: TokenInfo;
}

const TOKEN_PATTERN = /^sluice_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/;

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export class Tokens {
  constructor(private readonly db: MetadataDb) {}

  async create(name: string, role: Role = "admin"): Promise<CreatedToken> {
    checkTokenName(name);
    if (!(ROLES as readonly string[]).includes(role))
      throw new ServerError("USAGE", `role must be one of ${ROLES.join(", ")} (got "${role}")`);
    const id = randomBytes(6).toString("hex");
    const token = `sluice_${id}_${randomBytes(32).toString("base64url")}`;
    const createdAt = now();
    await this.db
      .insertInto("_sluice_tokens")
      .values({ id, name, role, hash: hashSecret(token), created_at: createdAt, last_used_at: null, revoked_at: null })
      .execute();
    return { token, info: { id, name, role, createdAt, lastUsedAt: null, revokedAt: null } };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.db.selectFrom("_sluice_tokens").selectAll().orderBy("created_at").orderBy("id").execute();
    return rows.map(toInfo);
  }

  /** Whether any token was ever made (the first server start makes the first). */
  async any(): Promise<boolean> {
    const row = await this.db.selectFrom("_sluice_tokens").select("id").limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** Revokes by id or by name (a name must be unambiguous); revoked tokens and their sessions stop working at once. */
  async revoke(idOrName: string): Promise<TokenInfo> {
    const target = await this.find(idOrName);
    if (target.revokedAt) return target;
    const revokedAt = now();
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable("_sluice_tokens").set({ revoked_at: revokedAt }).where("id", "=", target.id).execute();
      await tx.deleteFrom("_sluice_sessions").where("token_id", "=", target.id).execute();
    });
    return { ...target, revokedAt };
  }

  /** The token's holder, or undefined for anything that is not a live token. */
  async verify(token: string): Promise<TokenInfo | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const row = await this.db
      .selectFrom("_sluice_tokens")
      .selectAll()
      .where("hash", "=", hashSecret(token))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (!row) return undefined;
    await this.touch(row.id);
    return toInfo(row);
  }

  /** A live token's holder by id (sessions refer to their token by id). */
  async live(id: string): Promise<TokenInfo | undefined> {
    const row = await this.db
      .selectFrom("_sluice_tokens")
      .selectAll()
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row && toInfo(row);
  }

  private async find(idOrName: string): Promise<TokenInfo> {
    const rows = await this.db
      .selectFrom("_sluice_tokens")
      .selectAll()
      .where((w) => w.or([w("id", "=", idOrName), w("name", "=", idOrName)]))
      .execute();
    const byId = rows.find((r) => r.id === idOrName);
    if (byId) return toInfo(byId);
    const live = rows.filter((r) => r.revoked_at === null);
    if (rows.length === 0)
      throw new ServerError(
        "TOKEN_NOT_FOUND",
        `no token has the id or name "${idOrName}" (see \`sluice server token list\`)`,
      );
    if (live.length > 1)
      throw new ServerError(
        "TOKEN_AMBIGUOUS",
        `${live.length} tokens are named "${idOrName}" (ids ${live.map((r) => r.id).join(", ")}); revoke one by its id`,
      );
    return toInfo(live[0] ?? rows[0]);
  }

  /** Records use at most once a minute per token, so busy clients do not write on every call. */
  private async touch(id: string): Promise<void> {
    const at = now();
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    await this.db
      .updateTable("_sluice_tokens")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .where((w) => w.or([w("last_used_at", "is", null), w("last_used_at", "<", minuteAgo)]))
      .execute();
  }
}

function checkTokenName(name: string): void {
  if (!/^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,63}$/u.test(name))
    throw new ServerError(
      "USAGE",
      `a token's name is 1 to 64 letters, digits, spaces or . _ @ - (starting with a letter or digit); got ${JSON.stringify(name)}`,
    );
}

function toInfo(row: {
  id: string;
  name: string;
  role: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
