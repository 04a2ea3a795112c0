/**
 * The GetData header: a GetDataResponse (field names and types, table name),
 * protobuf-encoded into the binary initial-metadata entry
 * "x-qlik-getdata-bin". Both revisions share the message byte for byte
 * (revision A's first files lack `tags`, which they skip as unknown).
 */
import { MalformedDataError } from "../../errors.js";
import { Metadata } from "@grpc/grpc-js";
import { GetDataResponse } from "../gen/qlik/connect/data_connector.js";

export const GETDATA_HEADER = "x-qlik-getdata-bin";

export function headerMetadata(header: GetDataResponse): Metadata {
  const metadata = new Metadata();
  metadata.set(GETDATA_HEADER, Buffer.from(GetDataResponse.encode(header).finish()));
  return metadata;
}

/** The header in `metadata`, undefined when absent; throws when it is not a GetDataResponse. */
export function readHeader(metadata: Metadata): GetDataResponse | undefined {
  const [value] = metadata.get(GETDATA_HEADER);
  if (value === undefined) return undefined;
  if (typeof value === "string")
    throw new MalformedDataError(`the ${GETDATA_HEADER} header is text, expected protobuf bytes`);
  try {
    return GetDataResponse.decode(value);
  } catch (error) {
    throw new MalformedDataError(`the ${GETDATA_HEADER} header is not a GetDataResponse (${(error as Error).message})`);
  }
}
