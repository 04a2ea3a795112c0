/**
 * go-plugin's broker, either side: over the one GRPCBroker/StartStream stream,
 * a side offers an extra gRPC service by serving it on a fresh unix socket and
 * announcing `ConnInfo{service_id, network, address}`; the other side dials the
 * id. c1-core's Sync callback (host serves, plugin dials) travels this way.
 */
import type * as grpc from "@grpc/grpc-js";
import { SluiceError } from "../errors.js";
import type { ConnInfo } from "../protocol/gen/plugin/grpc_broker.js";
import { type Endpoint, listenUnix, newServer, type TlsContext } from "./transport.js";

/** What both a client-side and a server-side StartStream call offer. */
export interface BrokerStream {
  write(message: ConnInfo): boolean;
  on(event: "data", listener: (message: ConnInfo) => void): unknown;
  on(event: "error" | "end" | "close", listener: (error?: Error) => void): unknown;
}

/** Dial waited longer than go-plugin's own 5 s for the other side's ConnInfo. */
export class BrokerDialTimeout extends SluiceError {
  constructor(
    readonly serviceId: number,
    timeoutMs: number,
  ) {
    super("PLUGIN_BROKER_DIAL_TIMEOUT", `no broker connection info for service id ${serviceId} within ${timeoutMs} ms`);
  }
}

export class Broker {
  private lastId = 0;
  private readonly received = new Map<number, Endpoint>();
  private readonly waiting = new Map<number, (endpoint: Endpoint) => void>();
  private readonly servers = new Map<number, grpc.Server>();
  private stream: BrokerStream | undefined;

  /** `tls`: under AutoMTLS, broker connections use the main connection's certificates. */
  constructor(
    private readonly socketDir: string,
    readonly tls?: TlsContext,
  ) {}

  /** Starts using a StartStream call; announcements queued before are not needed. */
  attach(stream: BrokerStream): void {
    this.stream = stream;
    stream.on("data", (info) => this.receive(info));
    // The stream ends when the other side goes away; its errors are not ours to report.
    stream.on("error", () => {});
  }

  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  /** Serves the services `register` adds under `id`, and tells the other side where. */
  async acceptAndServe(id: number, register: (server: grpc.Server) => void): Promise<void> {
    if (!this.stream) throw new SluiceError("INTERNAL", "broker stream is not open");
    const server = newServer();
    register(server);
    const endpoint = await listenUnix(server, this.socketDir, `broker-${id}.sock`, this.tls);
    this.servers.set(id, server);
    this.stream.write({ serviceId: id, network: endpoint.network, address: endpoint.address, knock: undefined });
  }

  /** Stops serving `id`. */
  stopServing(id: number): void {
    this.servers.get(id)?.forceShutdown();
    this.servers.delete(id);
  }

  /** Where the other side serves `id`, once it says so. */
  dial(id: number, timeoutMs = 5000): Promise<Endpoint> {
    const known = this.received.get(id);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new BrokerDialTimeout(id, timeoutMs));
      }, timeoutMs);
      this.waiting.set(id, (endpoint) => {
        clearTimeout(timer);
        resolve(endpoint);
      });
    });
  }

  close(): void {
    for (const server of this.servers.values()) server.forceShutdown();
    this.servers.clear();
  }

  private receive(info: ConnInfo): void {
    if (info.knock?.knock) return; // multiplexing handshakes: never requested by us
    const endpoint: Endpoint = { network: info.network === "tcp" ? "tcp" : "unix", address: info.address };
    const waiter = this.waiting.get(info.serviceId);
    if (waiter) {
      this.waiting.delete(info.serviceId);
      waiter(endpoint);
    } else {
      this.received.set(info.serviceId, endpoint);
    }
  }
}
