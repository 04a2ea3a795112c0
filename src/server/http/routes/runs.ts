/** Runs across connections: history, one run with its log, cancel, and live progress as server-sent events. */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { App } from "../../app.js";
import type { RunEvent } from "../../runs/service.js";
import { ErrorBody, IdParams, Paging, Run, RunDetail, RunStatus } from "../schemas.js";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };
/** A comment line now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export function runRoutes(server: FastifyInstance, app: App): void {
  const api = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["runs"];

  api.get(
    "/api/runs",
    {
      schema: {
        summary: "runs of every connection, newest first",
        tags,
        querystring: Type.Intersect([Paging, Type.Object({ status: Type.Optional(RunStatus) })]),
        response: { 200: Type.Array(Run), ...errors },
      },
    },
    async (request) => {
      const { limit = 50, before, status } = request.query;
      return app.runs.list({ limit, before, status });
    },
  );

  api.get(
    "/api/runs/:id",
    {
      schema: {
        summary: "one run, with its log",
        tags,
        params: IdParams,
        response: { 200: RunDetail, ...errors },
      },
    },
    async (request) => {
      const run = await app.runs.detail(request.params.id);
      const connection = await app.connections.get(run.connectionId);
      return { ...run, connection: connection.name };
    },
  );

  api.post(
    "/api/runs/:id/cancel",
    {
      schema: {
        summary: "cancel a queued or running run: the connector stops gracefully, committed pages stay",
        tags,
        params: IdParams,
        response: { 202: Run, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await app.runs.cancel(request.params.id)),
  );

  api.get(
    "/api/runs/:id/events",
    {
      schema: {
        summary:
          "live progress as server-sent events: `status` (the run), `progress` (counts), `log` (an entry); " +
          "the stream ends when the run does (at once for a finished run)",
        tags,
        params: IdParams,
        produces: ["text/event-stream"],
        response: {
          200: Type.Object(
            {
              event: Type.Union([Type.Literal("status"), Type.Literal("progress"), Type.Literal("log")]),
              data: Type.String({ description: "JSON: a Run (status), the counts (progress) or a log entry (log)" }),
            },
            { description: "each server-sent event" },
          ),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const run = await app.runs.get(request.params.id);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      const send = (event: RunEvent) =>
        out.write(`event: ${event.type}\ndata: ${JSON.stringify(eventData(event))}\n\n`);
      const unsubscribe = app.runs.subscribe(run.id, (event) => {
        send(event);
        if (event.type === "status" && event.run.finishedAt) end();
      });
      const heartbeat = setInterval(() => out.write(": still here\n\n"), HEARTBEAT_MS);
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe?.();
        out.end();
      };
      request.raw.on("close", end);
      // The state now, after subscribing so nothing falls between.
      send({ type: "status", run: await app.runs.get(run.id) });
      if (!unsubscribe) end();
    },
  );
}

function eventData(event: RunEvent): unknown {
  switch (event.type) {
    case "status":
      return event.run;
    case "progress":
      return event.progress;
    case "log":
      return event.entry;
  }
}
