/** Finding synced records across every connection (tables and rows of one connection: routes/connections.ts). */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { App } from "../../app.js";
import { ErrorBody, IdParams, SearchHit } from "../schemas.js";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };

export function dataRoutes(server: FastifyInstance, app: App): void {
  const api = server.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    "/api/search",
    {
      schema: {
        summary: "find records containing a text, across every connection's tables",
        tags: ["data"],
        querystring: Type.Object({
          q: Type.String({ minLength: 1, maxLength: 200 }),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          connectionId: Type.Optional(IdParams.properties.id),
        }),
        response: { 200: Type.Array(SearchHit), ...errors },
      },
    },
    async (request) => {
      const { q, limit = 50, connectionId } = request.query;
      const connections =
        connectionId === undefined ? await app.connections.list() : [await app.connections.get(connectionId)];
      return app.data.search(connections, q, limit);
    },
  );
}
