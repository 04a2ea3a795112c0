/**
 * The connector utilities a Conduit host serves to its standalone
 * connectors: `connutils.v1.SchemaService`, an in-memory schema registry
 * shared by a pipeline's connectors (subjects, versions, ids), on loopback
 * TCP. Each connector gets a token of its own; a call without a known token
 * in the `conduit-connector-token` metadata is refused.
 */
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { SchemaServiceService, type SchemaServiceServer } from "../../protocol/gen/connutils/v1/schema.js";
import { type Schema, Schema_Type } from "../../protocol/gen/schema/v1/schema.js";

const TOKEN_METADATA = "conduit-connector-token";

export class ConnectorUtilities {
  private readonly tokens = new Set<string>();
  private readonly subjects = new Map<string, Schema[]>();
  private nextId = 1;

  private readonly server = new grpc.Server();
  /** The gRPC target connectors dial (CONDUIT_CONNECTOR_UTILITIES_GRPC_TARGET). */
  target = "";

  private constructor() {
    this.server.addService(SchemaServiceService, this.schemaService());
  }

  static async start(): Promise<ConnectorUtilities> {
    const utilities = new ConnectorUtilities();
    const port = await new Promise<number>((resolve, reject) =>
      utilities.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    utilities.target = `127.0.0.1:${port}`;
    return utilities;
  }

  /** The environment a connector needs to reach the utilities (and that Conduit's SDK requires to start). */
  environmentFor(connectorId: string): Record<string, string> {
    const token = JSON.stringify({ value: randomUUID(), connector_id: connectorId });
    this.tokens.add(token);
    return {
      CONDUIT_CONNECTOR_ID: connectorId,
      CONDUIT_CONNECTOR_TOKEN: token,
      CONDUIT_CONNECTOR_UTILITIES_GRPC_TARGET: this.target,
    };
  }

  /** A registered schema, for decoding the records that reference it. */
  schema(subject: string, version: number): Schema | undefined {
    return this.subjects.get(subject)?.find((schema) => schema.version === version);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private authorized(metadata: grpc.Metadata): boolean {
    const [token] = metadata.get(TOKEN_METADATA);
    return typeof token === "string" && this.tokens.has(token);
  }

  private schemaService(): SchemaServiceServer {
    const refuse = (callback: (error: Partial<grpc.ServiceError>) => void) =>
      callback({ code: grpc.status.UNAUTHENTICATED, details: `missing or unknown ${TOKEN_METADATA}` });
    return {
      createSchema: (call, callback) => {
        if (!this.authorized(call.metadata)) return refuse(callback);
        const { subject, type, bytes } = call.request;
        const versions = this.subjects.get(subject) ?? [];
        const existing = versions.find((schema) => schema.type === type && schema.bytes.equals(bytes));
        if (existing) return callback(null, { schema: existing });
        const schema: Schema = {
          subject,
          version: versions.length + 1,
          id: this.nextId++,
          type: type === Schema_Type.UNRECOGNIZED ? Schema_Type.TYPE_AVRO : type,
          bytes,
        };
        this.subjects.set(subject, [...versions, schema]);
        callback(null, { schema });
      },
      getSchema: (call, callback) => {
        if (!this.authorized(call.metadata)) return refuse(callback);
        const schema = this.schema(call.request.subject, call.request.version);
        if (!schema)
          return callback({
            code: grpc.status.NOT_FOUND,
            details: `no schema "${call.request.subject}" version ${call.request.version}`,
          });
        callback(null, { schema });
      },
    };
  }
}
