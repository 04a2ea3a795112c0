/** Connections: list, create, read, replace, delete, check and discover with stored options, run now, their runs and tables. */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { App } from "../../app.js";
import { type ConnectionOptions, optionsText } from "../../connections/options.js";
import type {
  Connection as ConnectionModel,
  ConnectionInput as ConnectionInputModel,
} from "../../connections/service.js";
import type { Run as RunModel } from "../../runs/types.js";
import { ServerError } from "../../errors.js";
import {
  CheckResult,
  Connection,
  ConnectionInput,
  type ConnectionInputBody,
  ERROR_RESPONSES,
  IdParams,
  Paging,
  RowsPage,
  Run,
  Stream,
  TableInfo,
} from "../schemas.js";

const errors = ERROR_RESPONSES;

export function connectionRoutes(server: FastifyInstance, app: App): void {
  const api = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["connections"];
  const withLastRun = async (connections: ConnectionModel[]) => {
    const latest = await app.runs.latest(connections.map((c) => c.id));
    return connections.map((c) => ({ ...c, lastRun: latest.get(c.id) ?? null }));
  };
  const one = async (connection: ConnectionModel) => (await withLastRun([connection]))[0];

  api.get(
    "/api/connections",
    {
      schema: {
        summary: "every connection, with its last run",
        tags,
        response: { 200: Type.Array(Connection), ...errors },
      },
    },
    async () => withLastRun(await app.connections.list()),
  );

  api.post(
    "/api/connections",
    {
      schema: {
        summary: "create a connection; secret options are sealed and come back masked",
        tags,
        body: ConnectionInput,
        response: { 201: Connection, ...errors },
      },
    },
    async (request, reply) => {
      const connection = await app.connections.create(toInput(request.body));
      app.scheduler.wake();
      return reply.code(201).send(await one(connection));
    },
  );

  api.get(
    "/api/connections/:id",
    { schema: { summary: "one connection", tags, params: IdParams, response: { 200: Connection, ...errors } } },
    async (request) => one(await app.connections.get(request.params.id)),
  );

  api.put(
    "/api/connections/:id",
    {
      schema: {
        summary: "replace a connection's settings (send masked secrets back unchanged to keep them)",
        tags,
        params: IdParams,
        body: ConnectionInput,
        response: { 200: Connection, ...errors },
      },
    },
    async (request) => {
      const connection = await app.connections.update(request.params.id, toInput(request.body));
      app.scheduler.wake();
      return one(connection);
    },
  );

  api.delete(
    "/api/connections/:id",
    {
      schema: {
        summary: "delete a connection and its run history (its tables stay in the database)",
        tags,
        params: IdParams,
        response: { 200: Connection, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const connection = await one(await app.connections.get(id));
      if (await app.runs.busy(id))
        throw new ServerError("RUN_ACTIVE", `connection "${connection.name}" is running; cancel its run first`, "id");
      await app.connections.delete(id);
      app.scheduler.wake();
      return connection;
    },
  );

  api.post(
    "/api/connections/:id/check",
    {
      schema: {
        summary: "test the stored options with the connector's own Check",
        tags,
        params: IdParams,
        response: { 200: CheckResult, ...errors },
      },
    },
    async (request) => {
      const connection = await app.connections.get(request.params.id);
      const { options } = await app.connections.unsealedOptions(connection.id);
      return app.connectors.check(connection.connector, optionsText(options));
    },
  );

  api.post(
    "/api/connections/:id/discover",
    {
      schema: {
        summary: "the streams the connector offers with the stored options",
        tags,
        params: IdParams,
        response: { 200: Type.Array(Stream), ...errors },
      },
    },
    async (request) => {
      const connection = await app.connections.get(request.params.id);
      const { options } = await app.connections.unsealedOptions(connection.id);
      const streams = await app.connectors.discover(connection.connector, optionsText(options));
      return streams.map((s) => ({
        name: s.name,
        primaryKey: s.primaryKey,
        cursorField: s.cursorField ?? null,
        syncModes: s.syncModes,
        fields: Object.keys(s.jsonSchema.properties ?? {}),
      }));
    },
  );

  api.post(
    "/api/connections/:id/runs",
    {
      schema: {
        summary: "run now (refused while a run of this connection is queued or running)",
        tags: ["runs"],
        params: IdParams,
        response: { 202: Run, ...errors },
      },
    },
    async (request, reply) => reply.code(202).send(await app.runs.start(request.params.id, "manual")),
  );

  api.get(
    "/api/connections/:id/runs",
    {
      schema: {
        summary: "the connection's runs, newest first",
        tags: ["runs"],
        params: IdParams,
        querystring: Paging,
        response: { 200: Type.Array(Run), ...errors },
      },
    },
    async (request): Promise<RunModel[]> => {
      await app.connections.get(request.params.id);
      const { limit = 50, before } = request.query;
      return app.runs.list({ connectionId: request.params.id, limit, before });
    },
  );

  api.get(
    "/api/connections/:id/tables",
    {
      schema: {
        summary: "the tables the connection's syncs wrote, with row counts",
        tags: ["data"],
        params: IdParams,
        response: { 200: Type.Array(TableInfo), ...errors },
      },
    },
    async (request) => app.data.tables(await app.connections.get(request.params.id)),
  );

  api.get(
    "/api/connections/:id/tables/:table/rows",
    {
      schema: {
        summary: "a page of a table's rows",
        tags: ["data"],
        params: Type.Object({ id: IdParams.properties.id, table: Type.String({ minLength: 1, maxLength: 300 }) }),
        querystring: Type.Object({
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: RowsPage, ...errors },
      },
    },
    async (request) => {
      const { offset = 0, limit = 50 } = request.query;
      return app.data.rows(await app.connections.get(request.params.id), request.params.table, offset, limit);
    },
  );
}

function toInput(body: ConnectionInputBody): ConnectionInputModel {
  return { ...body, options: body.options as ConnectionOptions };
}
