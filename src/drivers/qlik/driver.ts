/**
 * Sluice as a Qlik client: any Qlik GetData connector (either revision) as a
 * SourceDriver, so runSync writes what it sends like any other source.
 *
 * One GetData call per sync: discover() starts it and waits for the
 * x-qlik-getdata-bin header (the table name and typed fields become the one
 * stream and its schema), read() drains the same call. The revision is
 * qlik.connect unless the connector answers UNIMPLEMENTED, then revision A
 * (package qlik), or as configured. Chunks are read only as fast as the sink
 * takes pages, so HTTP/2 flow control holds the connector back.
 */
import {
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
} from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { MalformedDataError, SluiceError } from "../../errors.js";
import type { Cell } from "../../protocol/cells.js";
import type * as connect from "../../protocol/gen/qlik/connect/data_connector.js";
import type * as revisionA from "../../protocol/gen/qlik/data_connector.js";
import { bucketChunks, type ChunkDecoder, columnarChunks, type Revision } from "../../protocol/qlik/chunks.js";
import { ConnectClient, RevisionAClient } from "../../protocol/qlik/clients.js";
import { GETDATA_HEADER, readHeader } from "../../protocol/qlik/header.js";
import type {
  CheckResult,
  SourceSpec,
  PageSink,
  ReadOutcome,
  SourceReadRequest,
  Row,
  SourceDriver,
  StreamDescriptor,
} from "../types.js";
import { Batcher } from "../batcher.js";
import { type FieldReader, fieldReaders, keyFields } from "./fields.js";

export interface QlikSourceOptions {
  /** host:port of the connector. */
  address: string;
  statement: string;
  connectionString?: string;
  user?: string;
  password?: string;
  /** Which API to call; "auto" tries qlik.connect, then revision A. */
  revision?: Revision | "auto";
  /** Ask for (and keep) only this many rows (qlik.connect's firstRowsOnly). */
  firstRows?: number;
  /** Names the connector in messages and the session info sent. */
  name: string;
  /** Rows per page handed to the sink (one store transaction each). */
  pageRows?: number;
  /** Deadline of GetMetaInfo, which also tells whether the connector is reachable. */
  connectTimeoutMs?: number;
  /** TLS (else plaintext): the CAs the server's certificate must chain to (none: the system's), and a client certificate. */
  tls?: QlikClientTls;
  /** Sent as `authorization: Bearer <token>` metadata on every call (Sluice's own server checks it). */
  token?: string;
}

export interface QlikClientTls {
  /** PEM CA certificates; undefined: Node's default roots. */
  ca?: Buffer;
  /** PEM client certificate chain and its key, for servers that require one (mutual TLS). */
  cert?: Buffer;
  key?: Buffer;
  /** The name the server's certificate must carry, when it is not the host of `address`. */
  serverName?: string;
}

/** The connector broke the GetData contract. */
export class QlikProtocolError extends SluiceError {
  constructor(address: string, problem: string) {
    super("QLIK_PROTOCOL_VIOLATION", `Qlik connector at ${address}: ${problem}`);
  }
}

/** GetData or GetMetaInfo failed with a gRPC status. */
export class QlikCallError extends SluiceError {
  constructor(address: string, what: string, error: ServiceError) {
    const unreachable = error.code === GrpcStatus.UNAVAILABLE;
    super(
      unreachable ? "QLIK_UNREACHABLE" : "QLIK_CALL_FAILED",
      unreachable
        ? `cannot reach the Qlik connector at ${address} (${error.details || error.message}); is it running and listening there?`
        : `Qlik connector at ${address}: ${what} failed with ${GrpcStatus[error.code] ?? error.code}: ${error.details || error.message}`,
      { cause: error },
    );
  }
}

type AnyChunk = connect.DataChunk | revisionA.DataChunk;

interface OpenCall {
  call: ClientReadableStream<AnyChunk>;
  header: connect.GetDataResponse;
  readers: FieldReader[];
  decoder: ChunkDecoder<AnyChunk>;
  /** An error the call reported while nobody was reading it. */
  readonly failure: unknown;
}

const CLIENT_OPTIONS = { "grpc.max_receive_message_length": -1 };

function channelCredentials(tls: QlikClientTls | undefined) {
  return tls ? credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null) : credentials.createInsecure();
}

export class QlikDriver implements SourceDriver {
  protocol: Revision = "qlik.connect";
  private readonly connectClient: connect.ConnectorClient;
  private readonly revisionAClient: revisionA.ConnectorClient;
  private starting: Promise<OpenCall> | undefined;
  private open: OpenCall | undefined;
  private readonly sessionId = randomUUID();

  constructor(private readonly options: QlikSourceOptions) {
    const channel = channelCredentials(options.tls);
    const channelOptions = {
      ...CLIENT_OPTIONS,
      ...(options.tls?.serverName ? { "grpc.ssl_target_name_override": options.tls.serverName } : {}),
    };
    this.connectClient = new ConnectClient(options.address, channel, channelOptions);
    this.revisionAClient = new RevisionAClient(options.address, channel, {
      ...channelOptions,
      channelOverride: this.connectClient.getChannel(),
    });
  }

  /** The connector's GetMetaInfo when it has one (revision A has none). */
  async spec(): Promise<SourceSpec> {
    const fallback = {
      name: this.options.name,
      version: "",
      description: `Qlik GetData connector at ${this.options.address}`,
    };
    if (this.options.revision === "qlik") return fallback;
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 10_000);
    return new Promise((resolve, reject) => {
      this.connectClient.getMetaInfo(
        { sessionInfo: this.sessionInfo() },
        this.metadata(),
        { deadline },
        (error, info) => {
          if (error?.code === GrpcStatus.UNIMPLEMENTED) resolve(fallback);
          else if (error) reject(new QlikCallError(this.options.address, "GetMetaInfo", error));
          else
            resolve({
              name: info.name || fallback.name,
              version: info.version,
              description: `${fallback.description}${info.developer ? `, by ${info.developer}` : ""}`,
            });
        },
      );
    });
  }

  /** Nothing to check before GetData: the statement is the connector's to judge. */
  async check(): Promise<CheckResult> {
    return { ok: true, errors: [] };
  }

  async discover(): Promise<StreamDescriptor[]> {
    const { header, readers } = await this.start();
    const fields = header.fieldInfo;
    const primaryKey = keyFields(fields, readers);
    return [
      {
        name: header.tableName || "data",
        jsonSchema: { properties: Object.fromEntries(readers.map((r) => [r.name, r.property])) },
        primaryKey,
        syncModes: ["full_refresh"],
        // A GetData load is a full load: without key fields to upsert by, the table holds exactly the last one.
        replaceOnSuccess: primaryKey.length === 0,
      },
    ];
  }

  async read(_request: SourceReadRequest, sink: PageSink): Promise<ReadOutcome> {
    const open = await this.start();
    const pages = new Pager(
      sink,
      open.header.tableName || "data",
      open.readers,
      this.options.pageRows ?? 5000,
      this.options.firstRows ?? Infinity,
    );
    try {
      if (open.failure) throw open.failure;
      for await (const chunk of open.call as AsyncIterable<AnyChunk>) {
        await pages.add(this.decode(open, chunk));
        if (pages.full) break;
      }
      if (!pages.full) await pages.add(this.finish(open));
      await pages.flush();
      return {};
    } catch (error) {
      throw this.explain(error, "GetData");
    } finally {
      open.call.cancel();
    }
  }

  async close(): Promise<void> {
    this.open?.call.cancel();
    this.revisionAClient.close();
    this.connectClient.close();
  }

  /** Starts GetData once (both discover and read need it) and waits for the header. */
  private start(): Promise<OpenCall> {
    this.starting ??= this.startCall();
    return this.starting;
  }

  private async startCall(): Promise<OpenCall> {
    const revisions: Revision[] =
      this.options.revision && this.options.revision !== "auto" ? [this.options.revision] : ["qlik.connect", "qlik"];
    for (const [i, revision] of revisions.entries()) {
      const call = this.call(revision);
      // Errors are recorded from the start, so one arriving while nobody reads the call is kept, not thrown.
      let failure: unknown;
      call.on("error", (error) => (failure ??= error));
      try {
        const header = await awaitHeader(call);
        // Upstream connectors answer a statement they cannot run with a header of no fields and an OK end:
        // loading that would replace a table with one holding nothing, and call it a success.
        if (header.fieldInfo.length === 0)
          throw new QlikProtocolError(
            this.options.address,
            "GetData answered with a header of no fields (what connectors do with a statement they cannot run); " +
              "nothing was loaded and existing tables are unchanged: check the statement",
          );
        this.protocol = revision;
        const readers = fieldReaders(header.fieldInfo);
        const codec = revision === "qlik" ? columnarChunks : bucketChunks;
        this.open = {
          call,
          header,
          readers,
          decoder: codec.decoder(readers.map((r) => r.name)) as ChunkDecoder<AnyChunk>,
          get failure() {
            return failure;
          },
        };
        return this.open;
      } catch (error) {
        call.cancel();
        const fallBack = i < revisions.length - 1 && (error as ServiceError).code === GrpcStatus.UNIMPLEMENTED;
        if (!fallBack) throw this.explain(error, "GetData");
      }
    }
    throw new SluiceError("INTERNAL", "no Qlik revision to try");
  }

  private call(revision: Revision): ClientReadableStream<AnyChunk> {
    const { statement, connectionString = "", user = "", password = "" } = this.options;
    const connection = { connectionString, user, password };
    if (revision === "qlik") {
      return this.revisionAClient.getData(
        { connection, sessionInfo: this.sessionInfo(), parameters: { statement, statementParameters: "" } },
        this.metadata(),
      );
    }
    const firstRows = this.options.firstRows;
    return this.connectClient.getData(
      {
        connection,
        sessionInfo: this.sessionInfo(),
        parameters: {
          statement,
          parameters: [],
          firstRowsOnly: firstRows === undefined ? undefined : { hasValue: true, value: firstRows },
        },
      },
      this.metadata(),
    );
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.options.token) metadata.set("authorization", `Bearer ${this.options.token}`);
    return metadata;
  }

  private sessionInfo(): connect.SessionInfo {
    return { user: this.options.user ?? "", sessionId: this.sessionId, docId: this.options.name, reloadId: "" };
  }

  private decode(open: OpenCall, chunk: AnyChunk): Cell[][] {
    try {
      return open.decoder.push(chunk);
    } catch (error) {
      throw new QlikProtocolError(this.options.address, (error as Error).message);
    }
  }

  private finish(open: OpenCall): Cell[][] {
    try {
      return open.decoder.finish();
    } catch (error) {
      throw new QlikProtocolError(this.options.address, (error as Error).message);
    }
  }

  private explain(error: unknown, what: string): unknown {
    if (error instanceof HeaderError) return new QlikProtocolError(this.options.address, error.message);
    if (error instanceof SluiceError) return error;
    if (isServiceError(error)) return new QlikCallError(this.options.address, what, error);
    return error;
  }
}

/** The GetData header is missing, late or malformed; explain() names the connector. */
class HeaderError extends MalformedDataError {}

/**
 * Resolves with the header, which must come before any chunk. A 'data'
 * listener catches a chunk arriving first; once the header is in, the call
 * is paused again so read() gets every chunk.
 */
function awaitHeader(call: ClientReadableStream<AnyChunk>): Promise<connect.GetDataResponse> {
  return new Promise((resolve, reject) => {
    const done = (settle: () => void) => {
      call.off("metadata", onMetadata).off("data", onData).off("error", onError).off("status", onStatus);
      call.pause();
      settle();
    };
    const onMetadata = (metadata: Metadata) => {
      let header: connect.GetDataResponse | undefined;
      try {
        header = readHeader(metadata);
      } catch (error) {
        return done(() => reject(new HeaderError((error as Error).message)));
      }
      if (header) done(() => resolve(header));
    };
    const onData = () => done(() => reject(new HeaderError(`sent data before its ${GETDATA_HEADER} header`)));
    const onError = (error: Error) => done(() => reject(error));
    const onStatus = (status: { code: GrpcStatus }) => {
      if (status.code === GrpcStatus.OK)
        done(() => reject(new HeaderError(`ended the GetData call without a ${GETDATA_HEADER} header`)));
    };
    call.on("metadata", onMetadata).on("data", onData).on("error", onError).on("status", onStatus);
  });
}

/** Rows into pages of `size` for the sink (the drivers' one batcher), keeping at most `limit` rows in all. */
class Pager {
  private readonly batcher: Batcher<Row>;

  constructor(
    private readonly sink: PageSink,
    private readonly stream: string,
    private readonly readers: FieldReader[],
    size: number,
    private readonly limit: number,
  ) {
    this.batcher = new Batcher(size);
  }

  get full(): boolean {
    return this.batcher.records >= this.limit;
  }

  async add(cells: Cell[][]): Promise<void> {
    for (const row of cells) {
      if (this.full) break;
      const page = this.batcher.add(this.stream, toRow(row, this.readers));
      if (page) await this.sink.page({ stream: this.stream, rows: page });
    }
  }

  async flush(): Promise<void> {
    for (const [stream, rows] of this.batcher.drain()) await this.sink.page({ stream, rows });
  }
}

function toRow(cells: Cell[], readers: FieldReader[]): Row {
  const row: Row = {};
  for (let i = 0; i < readers.length; i++) row[readers[i].name] = readers[i].read(cells[i] ?? null);
  return row;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as ServiceError).code === "number" && "details" in error;
}
