/** Installed connectors: list, plan then confirm an install or update, remove; and what each says about its options. */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { loadManifest } from "../../../registry/index.js";
import type { App } from "../../app.js";
import type { ConnectionOptions } from "../../connections/options.js";
import { optionsText } from "../../connections/options.js";
import { ServerError } from "../../errors.js";
import {
  ApplyRequest,
  ApplyResult,
  CheckResult,
  Connector,
  ConnectorSpec,
  ERROR_RESPONSES,
  NameParams,
  Plan,
  PlanRequest,
  ProbeRequest,
  Stream,
} from "../schemas.js";

const errors = ERROR_RESPONSES;

export function connectorRoutes(server: FastifyInstance, app: App): void {
  const api = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["connectors"];

  api.get(
    "/api/connectors",
    { schema: { summary: "installed connectors", tags, response: { 200: Type.Array(Connector), ...errors } } },
    async () => app.connectors.list(),
  );

  api.get(
    "/api/connectors/:name",
    {
      schema: { summary: "one installed connector", tags, params: NameParams, response: { 200: Connector, ...errors } },
    },
    async (request) => app.connectors.get(request.params.name),
  );

  api.post(
    "/api/connectors/plans",
    {
      schema: {
        summary: "plan an install from a manifest (pasted, or a URL): every command it would run, nothing run yet",
        tags,
        body: PlanRequest,
        response: { 201: Plan, ...errors },
      },
    },
    async (request, reply) => {
      const { manifest, url, name } = request.body;
      if ((manifest === undefined) === (url === undefined))
        throw new ServerError("REQUEST_INVALID", "give the manifest (pasted) or its url, one of the two", "manifest");
      const plan =
        url !== undefined
          ? await planFromUrl(app, url, name)
          : app.connectors.planInstall(
              typeof manifest === "string" ? manifest : JSON.stringify(manifest),
              "the pasted manifest",
              name,
            );
      return reply.code(201).send(plan);
    },
  );

  api.post(
    "/api/connectors/:name/update-plans",
    {
      schema: {
        summary: "plan an update of an installed connector: every command it would run, nothing run yet",
        tags,
        params: NameParams,
        response: { 201: Plan, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(app.connectors.planUpdate(request.params.name)),
  );

  api.post(
    "/api/connectors/installs",
    {
      schema: {
        summary: "run a plan the user confirmed (install or update); waits until it is done",
        tags,
        body: ApplyRequest,
        response: { 201: ApplyResult, ...errors },
      },
    },
    async (request, reply) => {
      const outcome = await app.connectors.apply(request.body.planId);
      return reply.code(201).send({ ...outcome, version: outcome.version ?? null });
    },
  );

  api.delete(
    "/api/connectors/:name",
    {
      schema: {
        summary: "remove an installed connector (refused while connections use it)",
        tags,
        params: NameParams,
        response: { 200: Type.Object({ name: Type.String(), folder: Type.String() }), ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      app.connectors.get(name);
      const users = (await app.connections.list()).filter((c) => c.connector === name).map((c) => c.name);
      if (users.length)
        throw new ServerError(
          "CONNECTOR_IN_USE",
          `connector "${name}" is used by connection(s) ${users.join(", ")}; delete them first`,
          "name",
        );
      return app.connectors.remove(name);
    },
  );

  api.get(
    "/api/connectors/:name/spec",
    {
      schema: {
        summary: "the connector's option schema (the connection form is generated from it) and its secret fields",
        tags,
        params: NameParams,
        response: { 200: ConnectorSpec, ...errors },
      },
    },
    async (request) => app.connectors.spec(request.params.name),
  );

  api.post(
    "/api/connectors/:name/check",
    {
      schema: {
        summary: "test options with the connector's own Check (masked secrets are taken from connectionId)",
        tags,
        params: NameParams,
        body: ProbeRequest,
        response: { 200: CheckResult, ...errors },
      },
    },
    async (request) => {
      const options = await probeOptions(app, request.body.options as ConnectionOptions, request.body.connectionId);
      return app.connectors.check(request.params.name, options);
    },
  );

  api.post(
    "/api/connectors/:name/discover",
    {
      schema: {
        summary: "the streams the connector offers with these options",
        tags,
        params: NameParams,
        body: ProbeRequest,
        response: { 200: Type.Array(Stream), ...errors },
      },
    },
    async (request) => {
      const options = await probeOptions(app, request.body.options as ConnectionOptions, request.body.connectionId);
      const streams = await app.connectors.discover(request.params.name, options);
      return streams.map((s) => ({
        name: s.name,
        primaryKey: s.primaryKey,
        cursorField: s.cursorField ?? null,
        syncModes: s.syncModes,
        fields: Object.keys(s.jsonSchema.properties ?? {}),
      }));
    },
  );
}

async function planFromUrl(app: App, url: string, name: string | undefined) {
  const loaded = await loadManifest(url, { signal: AbortSignal.timeout(30_000) });
  return app.connectors.planInstall(JSON.stringify(loaded.manifest), url, name);
}

async function probeOptions(app: App, options: ConnectionOptions, connectionId: number | undefined): Promise<string> {
  return optionsText(await app.connections.unmaskFor(connectionId, options));
}
