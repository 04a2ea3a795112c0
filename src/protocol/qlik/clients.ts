/**
 * gRPC clients of both revisions whose GetData chunks are read by the
 * codecs' own deserializers (see ../wire-reader.ts) instead of the generated
 * ones; otherwise the generated clients.
 */
import { makeGenericClientConstructor } from "@grpc/grpc-js";
import * as connect from "../gen/qlik/connect/data_connector.js";
import * as revisionA from "../gen/qlik/data_connector.js";
import { bucketChunks, columnarChunks } from "./chunks.js";

export const ConnectClient = makeGenericClientConstructor(
  {
    ...connect.ConnectorService,
    getData: { ...connect.ConnectorService.getData, responseDeserialize: bucketChunks.deserialize },
  },
  "qlik.connect.Connector",
) as unknown as typeof connect.ConnectorClient;

export const RevisionAClient = makeGenericClientConstructor(
  {
    ...revisionA.ConnectorService,
    getData: { ...revisionA.ConnectorService.getData, responseDeserialize: columnarChunks.deserialize },
  },
  "qlik.Connector",
) as unknown as typeof revisionA.ConnectorClient;
