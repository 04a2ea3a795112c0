/**
 * src/server/http — the HTTP face of the application: a Fastify server with
 * the REST API (schemas in ./schemas.ts validate requests, shape responses
 * and make the OpenAPI 3.1 document at /api/openapi.json), token and session
 * auth with CSRF (./auth.ts), the login page, and the built web UI.
 *
 * May import: src/server/* (the App and its services), src/errors.ts, src/logging.ts.
 */
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance } from "fastify";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { App } from "../app.js";
import { listenFailure } from "../listen-failure.js";
import { installAuth } from "./auth.js";
import { toErrorResponse } from "./errors.js";
import { LOGIN_CSS } from "./pages.js";
import { connectionRoutes } from "./routes/connections.js";
import { connectorRoutes } from "./routes/connectors.js";
import { dataRoutes } from "./routes/data.js";
import { runRoutes } from "./routes/runs.js";
import { sessionRoutes } from "./routes/session.js";
import { ErrorBody } from "./schemas.js";
import { uiRoutes } from "./static.js";

/** What a 503 tells clients to wait before they try again: a database restart or failover takes seconds. */
const RETRY_AFTER_SECONDS = 5;

export interface HttpOptions {
  host: string;
  port: number;
  /** Send cookies only over HTTPS (behind a TLS-terminating proxy). */
  secureCookies?: boolean;
  /** Where the built UI is (tests); default dist/ui. */
  uiDir?: string;
  version?: string;
}

export interface HttpServer {
  /** http://host:port */
  readonly url: string;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

export async function startHttpServer(app: App, options: HttpOptions): Promise<HttpServer> {
  const server = Fastify({
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    // A request id from randomness, not a counter: ids show up in logs of several servers.
    genReqId: () => randomBytes(6).toString("hex"),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
    // Event streams stay open; a stop must not wait for them.
    forceCloseConnections: true,
  });
  server.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) =>
    done(null, body),
  );
  server.addSchema(ErrorBody);
  await server.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Sluice API",
        version: options.version ?? "0",
        description:
          "Connectors, connections, runs and synced data of a Sluice server. Every call needs a token: " +
          "`Authorization: Bearer <token>`, or the session cookie of the login page plus its CSRF token " +
          '(X-CSRF-Token header) on every change. Errors: `{"error": {"code", "message", "field"}}`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "a token from `sluice server token create`" },
          session: { type: "apiKey", in: "cookie", name: "sluice_session" },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Shared schemas keep their $id as their name in the document ("Error", not "def-0").
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  server.setErrorHandler((error, request, reply) => {
    const explained = app.metadata.explain(error);
    const { status, body } = toErrorResponse(explained);
    const route = `${request.method} ${request.url.split("?")[0]}`;
    // 503: the database (or Temporal) is out of reach, which its message says in full; a stack would
    // only repeat it per request. Clients are told when to try again.
    if (status === 503) {
      app.logger.warn(`${route} failed: ${body.error.message}`);
      reply.header("retry-after", String(RETRY_AFTER_SECONDS));
    } else if (status >= 500) app.logger.error(`${route} failed: ${String((explained as Error).stack ?? explained)}`);
    return reply.code(status).send(body);
  });
  server.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: "NOT_FOUND", message: `no such path: ${request.method} ${request.url.split("?")[0]}` } }),
  );
  server.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header(
      "content-security-policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    return payload;
  });
  installAuth(server, app);

  sessionRoutes(server, app, options.secureCookies === true);
  connectorRoutes(server, app);
  connectionRoutes(server, app);
  runRoutes(server, app);
  dataRoutes(server, app);
  server.get("/api/openapi.json", { schema: { hide: true } }, async () => server.swagger());
  server.get("/login.css", { schema: { hide: true } }, async (_request, reply) =>
    reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(LOGIN_CSS),
  );
  uiRoutes(server, options.uiDir);

  const listen = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
  await server.listen({ host: options.host, port: options.port }).catch((error: unknown) => {
    throw listenFailure(listen, error);
  });
  const address = server.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => server.close(),
  };
}
