/**
 * A server stream read one message at a time, and only when asked for.
 *
 * grpc-js's own streams are Node Readables that read ahead until sixteen
 * messages wait: with pages of records as messages, that is sixteen whole
 * pages held in the host, and their buffers outlive young-generation garbage
 * collection, so the host's memory grows with the page size. Here a message
 * is read only when the loop asks for the next one; what the connector
 * produces meanwhile waits behind HTTP/2 flow control (transport.ts's window),
 * in the connector's own memory, which holds it back.
 */
import * as grpc from "@grpc/grpc-js";

export interface PulledStream<Response> extends AsyncIterable<Response> {
  /** Ends the call at once (the connector sees CANCELLED); a waiting read fails with it. */
  cancel(): void;
}

/** What one startRead() brings: a message, or the call's final status. */
type Arrival<Response> = { message: Response } | { status: grpc.StatusObject };

/** Opens a server-streaming call of `method` on `client`'s channel with `request` as its one message. */
export function pullServerStream<Request, Response>(
  client: grpc.Client,
  method: Pick<grpc.MethodDefinition<Request, Response>, "path" | "requestSerialize" | "responseDeserialize">,
  request: Request,
): PulledStream<Response> {
  const call = client.getChannel().createCall(method.path, Infinity, null, null, null);
  const caller = new Error("server stream");
  // A message comes only after startRead(), so at most one arrival is awaited, never one kept.
  let pending: ((arrival: Arrival<Response>) => void) | undefined;
  let finalStatus: grpc.StatusObject | undefined;
  let decodeFailure: grpc.StatusObject | undefined;

  const deliver = (arrival: Arrival<Response>): void => {
    const take = pending;
    pending = undefined;
    take?.(arrival);
  };

  call.start(new grpc.Metadata(), {
    onReceiveMetadata: () => {},
    onReceiveMessage: (bytes: Buffer) => {
      try {
        deliver({ message: method.responseDeserialize(bytes) });
      } catch (error) {
        decodeFailure = {
          code: grpc.status.INTERNAL,
          details: `Response message parsing error: ${(error as Error).message}`,
          metadata: new grpc.Metadata(),
        };
        call.cancelWithStatus(decodeFailure.code, decodeFailure.details);
      }
    },
    onReceiveStatus: (status: grpc.StatusObject) => {
      finalStatus ??= decodeFailure ?? status;
      deliver({ status: finalStatus });
    },
  });
  call.sendMessageWithContext({}, method.requestSerialize(request));
  call.halfClose();

  const next = (): Promise<Arrival<Response>> => {
    if (finalStatus) return Promise.resolve({ status: finalStatus });
    return new Promise((resolve) => {
      pending = resolve;
      call.startRead();
    });
  };

  return {
    cancel: () => call.cancelWithStatus(grpc.status.CANCELLED, "Cancelled on client"),
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const arrival = await next();
          if ("status" in arrival) {
            if (arrival.status.code !== grpc.status.OK) throw serviceError(arrival.status, caller);
            return;
          }
          yield arrival.message;
        }
      } finally {
        // A loop left early (a failed write, a break) must not leave the connector streaming.
        if (!finalStatus) call.cancelWithStatus(grpc.status.CANCELLED, "Cancelled on client");
      }
    },
  };
}

/** The error grpc-js's own calls fail with (code, details, metadata), so callers tell them apart the same way. */
function serviceError(status: grpc.StatusObject, caller: Error): grpc.ServiceError {
  const message = `${status.code} ${grpc.status[status.code]}: ${status.details}`;
  return Object.assign(new Error(message), status, { stack: `Error: ${message}\nfor call at\n${caller.stack}` });
}
