/**
 * Browser sessions: the login page exchanges a token for a random session id
 * in an HttpOnly, SameSite=Strict cookie. Only the id's hash is stored, and a
 * session dies with its token (revoking a token deletes its sessions).
 *
 * CSRF: a cookie is sent by the browser on its own, so every state-changing
 * request on a cookie session must also carry the session's CSRF token in a
 * header, which a page of another origin can neither read nor guess. It is
 * an HMAC of the session id: nothing more to store, and useless without it.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type MetadataDb, now } from "../metadata/index.js";
import { hashSecret, type TokenInfo, type Tokens } from "./tokens.js";

export const SESSION_COOKIE = "sluice_session";
export const CSRF_HEADER = "x-csrf-token";
/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface Session {
  /** The cookie's value: the session's secret. */
  id: string;
  csrf: string;
  token: TokenInfo;
  expiresAt: string;
}

export class Sessions {
  constructor(
    private readonly db: MetadataDb,
    private readonly tokens: Tokens,
  ) {}

  async create(token: TokenInfo): Promise<Session> {
    const id = randomBytes(32).toString("base64url");
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS).toISOString();
    await this.db
      .insertInto("_sluice_sessions")
      .values({ hash: hashSecret(id), token_id: token.id, created_at: now(), expires_at: expiresAt })
      .execute();
    return { id, csrf: csrfFor(id), token, expiresAt };
  }

  /** The session of a cookie value, or undefined when unknown, expired, or its token was revoked. */
  async verify(id: string): Promise<Session | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const row = await this.db
      .selectFrom("_sluice_sessions")
      .selectAll()
      .where("hash", "=", hashSecret(id))
      .where("expires_at", ">", now())
      .executeTakeFirst();
    if (!row) return undefined;
    const token = await this.tokens.live(row.token_id);
    return token && { id, csrf: csrfFor(id), token, expiresAt: row.expires_at };
  }

  async end(id: string): Promise<void> {
    await this.db.deleteFrom("_sluice_sessions").where("hash", "=", hashSecret(id)).execute();
  }

  /** Drops expired sessions (called now and then; verify never accepts them anyway). */
  async prune(): Promise<void> {
    await this.db.deleteFrom("_sluice_sessions").where("expires_at", "<=", now()).execute();
  }
}

export function csrfFor(sessionId: string): string {
  return createHmac("sha256", sessionId).update("sluice csrf").digest("base64url");
}

export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(session.csrf);
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
