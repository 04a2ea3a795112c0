/**
 * sluice.v1.ReadResponse from its bytes, for the native driver's Read
 * stream: columns through the columnar codec's own reader, so integers beyond
 * 2^53 arrive exact (the generated decoder refuses them) and no BigInt is
 * made per integer. Same shape as the generated message, with columns typed
 * as the codec reads them.
 */
import { makeGenericClientConstructor } from "@grpc/grpc-js";
import { type Columns, readColumn } from "./columns.js";
import {
  type Checkpoint,
  type ConnectorClient,
  ConnectorService,
  type JsonRecords,
} from "./gen/sluice/v1/connector.js";
import { WireReader } from "./wire-reader.js";

export interface ReadPage {
  stream: string;
  records: { $case: "json"; value: JsonRecords } | { $case: "columns"; value: Columns } | undefined;
  checkpoint: Checkpoint | undefined;
  estimatedTotal: number;
}

export interface ReadMessage {
  message: { $case: "page"; value: ReadPage } | { $case: "checkpoint"; value: Checkpoint } | undefined;
}

const LENGTH_DELIMITED = 2;

export function decodeReadResponse(bytes: Uint8Array): ReadMessage {
  const reader = new WireReader(bytes);
  const response: ReadMessage = { message: undefined };
  reader.fields({
    1: (wireType) =>
      embedded(reader, wireType, (page) => (response.message = { $case: "page", value: readPage(page) })),
    2: (wireType) =>
      embedded(reader, wireType, (sub) => (response.message = { $case: "checkpoint", value: readCheckpoint(sub) })),
  });
  return response;
}

/** Reads an embedded message field, or skips a field of another wire type (as the generated decoders do). */
function embedded(reader: WireReader, wireType: number, read: (sub: WireReader) => void): void {
  if (wireType === LENGTH_DELIMITED) read(reader.sub());
  else reader.skip(wireType);
}

function readPage(reader: WireReader): ReadPage {
  const page: ReadPage = { stream: "", records: undefined, checkpoint: undefined, estimatedTotal: 0 };
  reader.fields({
    1: (wireType) => embeddedText(reader, wireType, (text) => (page.stream = text)),
    2: (wireType) =>
      embedded(reader, wireType, (sub) => (page.records = { $case: "json", value: readJsonRecords(sub) })),
    3: (wireType) =>
      embedded(reader, wireType, (sub) => (page.records = { $case: "columns", value: readColumnarRecords(sub) })),
    4: (wireType) => embedded(reader, wireType, (sub) => (page.checkpoint = readCheckpoint(sub))),
    5: (wireType) => (wireType === 0 ? (page.estimatedTotal = reader.varint()) : reader.skip(wireType)),
  });
  return page;
}

function embeddedText(reader: WireReader, wireType: number, take: (text: string) => void): void {
  if (wireType === LENGTH_DELIMITED) take(reader.string());
  else reader.skip(wireType);
}

function readJsonRecords(reader: WireReader): JsonRecords {
  const records: JsonRecords = { array: Buffer.alloc(0) };
  reader.fields({
    1: (wireType) => (wireType === LENGTH_DELIMITED ? (records.array = reader.bytes()) : reader.skip(wireType)),
  });
  return records;
}

function readColumnarRecords(reader: WireReader): Columns {
  const records: Columns = { names: [], columns: [], rowCount: 0 };
  reader.fields({
    1: (wireType) => reader.repeatedString(wireType, records.names),
    2: (wireType) => embedded(reader, wireType, (sub) => records.columns.push(readColumn(sub))),
    3: (wireType) => (wireType === 0 ? (records.rowCount = reader.varint()) : reader.skip(wireType)),
  });
  return records;
}

function readCheckpoint(reader: WireReader): Checkpoint {
  const checkpoint: Checkpoint = { state: "" };
  reader.fields({ 1: (wireType) => embeddedText(reader, wireType, (text) => (checkpoint.state = text)) });
  return checkpoint;
}

/** sluice.v1.Connector/Read with its pages decoded by `decodeReadResponse`. */
export const ExactReadMethod = { ...ConnectorService.read, responseDeserialize: decodeReadResponse };

/** The generated client of sluice.v1.Connector, with Read's pages decoded by `decodeReadResponse`. */
export const ExactConnectorClient = makeGenericClientConstructor(
  { ...ConnectorService, read: ExactReadMethod },
  "sluice.v1.Connector",
) as unknown as typeof ConnectorClient;
