/** Logging in and out: a token exchanged for a session cookie (the login page, or POST /api/session). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { SESSION_TTL_MS, type Session } from "../../auth/index.js";
import type { App } from "../../app.js";
import { cookieOf, sessionCookie } from "../auth.js";
import { ServerError } from "../../errors.js";
import { loginPage } from "../pages.js";
import { ErrorBody, LoginBody, SessionBody } from "../schemas.js";

export function sessionRoutes(server: FastifyInstance, app: App, secureCookies: boolean): void {
  const api = server.withTypeProvider<TypeBoxTypeProvider>();
  const describe = (session: Session) => ({
    csrf: session.csrf,
    token: { id: session.token.id, name: session.token.name, role: session.token.role },
    expiresAt: session.expiresAt,
  });

  async function login(token: string, reply: FastifyReply): Promise<Session> {
    const holder = await app.tokens.verify(token.trim());
    if (!holder) throw new ServerError("UNAUTHENTICATED", "that token is not valid (revoked or mistyped)", "token");
    const session = await app.sessions.create(holder);
    reply.header("set-cookie", sessionCookie(session.id, SESSION_TTL_MS / 1000, secureCookies));
    return session;
  }

  api.post(
    "/api/session",
    {
      schema: {
        summary: "log in: exchange a token for a session cookie (HttpOnly, SameSite=Strict)",
        tags: ["session"],
        security: [],
        body: LoginBody,
        response: { 200: SessionBody, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => describe(await login(request.body.token, reply)),
  );

  api.get(
    "/api/session",
    {
      schema: {
        summary: "who is logged in, and the CSRF token to send with changes",
        tags: ["session"],
        response: { 200: SessionBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const caller = request.caller!;
      if (caller.session) return describe(caller.session);
      const { id, name, role } = caller.token;
      return { csrf: "", token: { id, name, role }, expiresAt: null };
    },
  );

  api.delete(
    "/api/session",
    {
      schema: {
        summary: "log out",
        tags: ["session"],
        response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const cookie = cookieOf(request, "sluice_session");
      if (cookie) await app.sessions.end(cookie);
      reply.header("set-cookie", sessionCookie("", 0, secureCookies));
      return reply.code(204).send(null);
    },
  );

  // The login page: a plain form, no script, so it works before anything else loads.
  server.get("/login", { schema: { hide: true } }, async (request: FastifyRequest, reply) =>
    reply.type("text/html; charset=utf-8").send(loginPage({ next: nextOf(request.query) })),
  );
  server.post("/login", { schema: { hide: true } }, async (request, reply) => {
    const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
    const next = safeNext(form.get("next"));
    try {
      await login(form.get("token") ?? "", reply);
    } catch {
      return reply
        .code(401)
        .type("text/html; charset=utf-8")
        .send(loginPage({ next, error: "That token is not valid (revoked or mistyped)." }));
    }
    return reply.redirect(next, 303);
  });
}

function nextOf(query: unknown): string {
  return safeNext((query as { next?: unknown } | undefined)?.next);
}

/** Only a path of this server: never an open redirect. */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])/.test(next) ? next : "/";
}
