/**
 * A Conduit connector written with Sluice's TypeScript SDK, run in Sluice's
 * own process: the same SDK objects and run-time rules (src/sdk/conduit's
 * runners) as the standalone process, without gRPC in between.
 */
import { SluiceError } from "../../errors.js";
import { configureChecked, toSpecification } from "../../sdk/conduit/specification.js";
import { DestinationRunner, SourceRunner } from "../../sdk/conduit/runners.js";
import type {
  ConduitConnector,
  ConduitDestination,
  ConduitSource,
  ConduitSpecification,
} from "../../sdk/conduit/types.js";
import type { Specification } from "../../protocol/gen/connector/v2/specifier.js";
import type {
  ConduitConnectorHandle,
  DestinationAck,
  DestinationEndpoint,
  DestinationStream,
  LifecycleChange,
  SourceEndpoint,
  SourceStream,
} from "./endpoints.js";
import { Mailbox } from "./mailbox.js";
import type { OpenCdcRecord } from "./opencdc.js";

function applyLifecycle(target: ConduitSource | ConduitDestination, change: LifecycleChange): Promise<void> {
  return change.kind === "created"
    ? (target.lifecycleOnCreated?.(change.config) ?? Promise.resolve())
    : (target.lifecycleOnUpdated?.(change.before, change.after) ?? Promise.resolve());
}

class BuiltinSource implements SourceEndpoint {
  private runner: SourceRunner | undefined;

  constructor(
    private readonly source: ConduitSource,
    private readonly specification: ConduitSpecification,
  ) {}

  configure = (config: Record<string, string>) => configureChecked(this.specification, "source", this.source, config);
  lifecycle = (change: LifecycleChange) => applyLifecycle(this.source, change);

  async open(position: Buffer): Promise<void> {
    await this.source.open(position);
    this.runner = new SourceRunner(this.source);
  }

  run(): SourceStream {
    const runner = this.runner!;
    const records = new Mailbox<OpenCdcRecord[]>(16);
    runner
      .start(async (batch) => {
        await records.room();
        records.push(batch);
      })
      .catch((error: unknown) => records.fail(error));
    return {
      next: () => records.next(),
      ack: (positions) => void runner.ack(positions).catch((error: unknown) => records.fail(error)),
      close: () => {
        records.end();
        void runner.stop();
      },
    };
  }

  stop = () => this.runner!.stop();
  teardown = () => this.source.teardown();
}

class BuiltinDestination implements DestinationEndpoint {
  private runner: DestinationRunner | undefined;

  constructor(
    private readonly destination: ConduitDestination,
    private readonly specification: ConduitSpecification,
  ) {}

  configure = (config: Record<string, string>) =>
    configureChecked(this.specification, "destination", this.destination, config);
  lifecycle = (change: LifecycleChange) => applyLifecycle(this.destination, change);

  async open(): Promise<void> {
    await this.destination.open();
    this.runner = new DestinationRunner(this.destination);
  }

  run(): DestinationStream {
    const runner = this.runner!;
    const acks = new Mailbox<DestinationAck[]>(1024);
    return {
      send: async (records) =>
        void runner.write(records).then(
          (batch) => acks.push(batch),
          (error: unknown) => acks.fail(error),
        ),
      nextAcks: () => acks.next(),
      close: () => acks.end(),
    };
  }

  stop = (lastPosition: Buffer) => this.runner!.stop(lastPosition);
  teardown = () => this.destination.teardown();
}

export class BuiltinConnector implements ConduitConnectorHandle {
  readonly mode = "builtin";

  constructor(
    readonly name: string,
    private readonly connector: ConduitConnector,
  ) {}

  async specify(): Promise<Specification> {
    return toSpecification(this.connector.specification);
  }

  source(): SourceEndpoint {
    if (!this.connector.source) throw new SluiceError("CALL_OUT_OF_ORDER", `connector "${this.name}" has no source`);
    return new BuiltinSource(this.connector.source(), this.connector.specification);
  }

  destination(): DestinationEndpoint {
    if (!this.connector.destination)
      throw new SluiceError("CALL_OUT_OF_ORDER", `connector "${this.name}" has no destination`);
    return new BuiltinDestination(this.connector.destination(), this.connector.specification);
  }

  async close(): Promise<void> {}
}
