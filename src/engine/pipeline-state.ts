/**
 * A pipeline's state as the store keeps it. A Conduit connector's saved
 * state (`{"config": {…}, "position": …}`) holds its config, passwords and
 * all, to tell the next run's lifecycle event what changed; in the state
 * table it is sealed instead (`"sealedConfig"`, SecretBox: AES-256-GCM under
 * a key outside the database, bound to the row). A config this key cannot
 * open (another SLUICE_HOME, a lost key) reads back as `{}`, so the
 * connector is told it was updated, with a warning. And when the source
 * releases upstream data once a checkpoint commits (a Conduit source is
 * acked), every checkpoint is committed durably (Checkpoint.durable).
 */
import type { Logger } from "../logging.js";
import type {
  Checkpoint,
  Store,
  SyncOutcome,
  SyncOwner,
  TableSpec,
  TableWriter,
  WriteCounts,
  Row,
  SyncLogEntry,
} from "../stores/types.js";
import type { SecretBox } from "./secret-box.js";

export interface PipelineStateOptions {
  secrets: SecretBox;
  /** Every checkpoint releases upstream data: commit each durably. */
  durable: boolean;
  logger?: Logger;
}

export class PipelineStateStore implements Store {
  constructor(
    private readonly store: Store,
    private readonly options: PipelineStateOptions,
  ) {}

  get kind() {
    return this.store.kind;
  }

  get location() {
    return this.store.location;
  }

  exists(): Promise<boolean> {
    return this.store.exists();
  }

  async openTable(spec: TableSpec): Promise<TableWriter> {
    const writer = await this.store.openTable(spec);
    return {
      table: writer.table,
      write: (rows: Row[], syncId: number, checkpoint?: Checkpoint): Promise<WriteCounts> =>
        writer.write(rows, syncId, checkpoint && this.stored(checkpoint)),
      finish: () => writer.finish(),
    };
  }

  async loadState(connector: string): Promise<string> {
    return this.opened(connector, await this.store.loadState(connector));
  }

  saveState(connector: string, state: string, syncId: number): Promise<void> {
    const { state: sealed, durable } = this.stored({ connector, state });
    return this.store.saveState(connector, sealed, syncId, { durable });
  }

  beginSync(connector: string, protocol: string, owner?: SyncOwner): Promise<number> {
    return this.store.beginSync(connector, protocol, owner);
  }

  finishSync(id: number, outcome: SyncOutcome): Promise<void> {
    return this.store.finishSync(id, outcome);
  }

  get markAlive(): Store["markAlive"] {
    return this.store.markAlive?.bind(this.store);
  }

  listSyncs(limit: number): Promise<SyncLogEntry[]> {
    return this.store.listSyncs(limit);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private stored(checkpoint: Checkpoint): Checkpoint {
    const saved = parseObject(checkpoint.state);
    const durable = this.options.durable || checkpoint.durable;
    if (!saved || saved.config === undefined) return { ...checkpoint, durable };
    const { config, ...rest } = saved;
    const sealedConfig = this.options.secrets.seal(JSON.stringify(config), checkpoint.connector);
    return { ...checkpoint, state: JSON.stringify({ sealedConfig, ...rest }), durable };
  }

  private opened(connector: string, text: string): string {
    const saved = parseObject(text);
    if (!saved || typeof saved.sealedConfig !== "string") return text;
    const { sealedConfig, ...rest } = saved;
    const config = this.options.secrets.open(sealedConfig, connector);
    if (config === undefined)
      this.options.logger?.warn(
        `the saved config cannot be opened with the key in ${this.options.secrets.keyFile} (${connector}); ` +
          "it is taken as changed (the connector is told it was updated, from an empty config)",
      );
    return JSON.stringify({ config: config === undefined ? {} : (JSON.parse(config) as unknown), ...rest });
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
