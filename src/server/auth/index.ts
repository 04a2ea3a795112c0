/**
 * src/server/auth — who may call Sluice's servers: API tokens (stored hashed,
 * in the database's metadata tables) and the browser sessions a token is
 * exchanged for. Used by the HTTP server and by `sluice serve qlik`.
 *
 * Typical use by another server:
 *   const metadata = await openMetadata(db);
 *   const holder = await new Tokens(metadata.db).verify(bearer);   // undefined: refuse
 *
 * May import: src/server/metadata, src/errors.ts.
 */
export { CSRF_HEADER, csrfMatches, SESSION_COOKIE, SESSION_TTL_MS, type Session, Sessions } from "./sessions.js";
export { type CreatedToken, ROLES, type Role, type TokenInfo, Tokens } from "./tokens.js";
export { bearerOf } from "./bearer.js";
