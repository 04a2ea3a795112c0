/**
 * Who is calling: every API call and page needs a token, sent as
 * `Authorization: Bearer <token>` or held in a session cookie from the login
 * page. Cookie sessions must also send their CSRF token on every request that
 * changes something; read tokens may only read.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bearerOf, CSRF_HEADER, csrfMatches, SESSION_COOKIE, type Session, type TokenInfo } from "../auth/index.js";
import type { App } from "../app.js";
import { ServerError } from "../errors.js";

export interface Caller {
  token: TokenInfo;
  session?: Session;
}

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Reached without a token: the login page and the call it makes. */
const PUBLIC = new Set(["GET /login", "GET /login.css", "POST /login", "POST /api/session"]);

export function installAuth(server: FastifyInstance, app: App): void {
  server.decorateRequest("caller", undefined);
  server.addHook("onRequest", async (request, reply) => {
    const route = `${request.method} ${request.url.split("?")[0]}`;
    if (PUBLIC.has(route)) return;
    const caller = await identify(request, app);
    if (!caller) {
      if (request.method === "GET" && !request.url.startsWith("/api/"))
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      throw unauthenticated(request);
    }
    if (
      caller.session &&
      !SAFE_METHODS.has(request.method) &&
      !csrfMatches(caller.session, header(request, CSRF_HEADER))
    )
      throw new ServerError(
        "CSRF_REQUIRED",
        `a browser session must send its CSRF token in the ${CSRF_HEADER} header (GET /api/session gives it)`,
        CSRF_HEADER,
      );
    if (caller.token.role === "read" && !SAFE_METHODS.has(request.method) && route !== "DELETE /api/session")
      throw new ServerError("FORBIDDEN", `token ${caller.token.id} ("${caller.token.name}") may only read`);
    request.caller = caller;
  });
}

async function identify(request: FastifyRequest, app: App): Promise<Caller | undefined> {
  const bearer = bearerOf(request.headers.authorization);
  if (bearer !== undefined) {
    const token = await app.tokens.verify(bearer);
    return token && { token };
  }
  const cookie = cookieOf(request, SESSION_COOKIE);
  if (cookie === undefined) return undefined;
  const session = await app.sessions.verify(cookie);
  return session && { token: session.token, session };
}

function unauthenticated(request: FastifyRequest): ServerError {
  const given = request.headers.authorization !== undefined || cookieOf(request, SESSION_COOKIE) !== undefined;
  return new ServerError(
    "UNAUTHENTICATED",
    given
      ? "the token or session is not valid (revoked, expired or mistyped)"
      : "a token is required: send Authorization: Bearer <token> (see `sluice server token create`)",
    "authorization",
  );
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}
