/**
 * The application behind `sluice server` and `sluice connections`: one
 * database (data and metadata), the installation home, and the services on
 * them — tokens and sessions, connectors, connections with sealed secrets,
 * runs through a launcher, the scheduler, and reading the data. The HTTP
 * server and the CLI are two faces of this one object.
 */
import type { Logger } from "../logging.js";
import { sluiceHome } from "../registry/index.js";
import { Sessions, Tokens } from "./auth/index.js";
import { SecretBox } from "./connections/secret-box.js";
import { Connections } from "./connections/service.js";
import { ConnectorCatalog } from "./connectors/index.js";
import { DataAccess, DataReader } from "./data/index.js";
import { type Metadata, openMetadata } from "./metadata/index.js";
import { InProcessLauncher } from "./runs/in-process.js";
import { Runs } from "./runs/service.js";
import type { RunLauncher } from "./runs/types.js";
import { Scheduler } from "./scheduler/index.js";
import { TemporalSchedules } from "./scheduler/temporal.js";
import { TemporalLauncher } from "./runs/temporal.js";
import type { Client } from "@temporalio/client";

export interface AppOptions {
  /** The database: data and the server's tables (a SQLite file or a PostgreSQL URL, as --db names it). */
  db: string;
  /** The installation home (connectors, the secret key file); default $SLUICE_HOME. */
  home?: string;
  maxConcurrentSyncs: number;
  logger: Logger;
  /** How syncs run; default in this process. */
  launcher?: RunLauncher;
  /** Run syncs as Temporal workflows on `sluice worker`s, and schedules as Temporal Schedules. */
  temporal?: { client: Client; address: string; taskQueue: string };
}

/** What starts scheduled runs: the in-process Scheduler, or Temporal Schedules. */
export interface ScheduleKeeper {
  start(): void;
  /** A connection or its schedule changed. */
  wake(): void;
  stop(): Promise<void>;
}

export class App {
  readonly tokens: Tokens;
  readonly sessions: Sessions;
  readonly connections: Connections;
  readonly connectors: ConnectorCatalog;
  readonly runs: Runs;
  readonly scheduler: ScheduleKeeper;
  readonly data: DataAccess;

  private constructor(
    readonly metadata: Metadata,
    readonly home: string,
    readonly logger: Logger,
    options: AppOptions,
  ) {
    this.tokens = new Tokens(metadata.db);
    this.sessions = new Sessions(metadata.db, this.tokens);
    this.connectors = new ConnectorCatalog(logger, home);
    const box = SecretBox.open(home);
    const temporal =
      options.temporal &&
      new TemporalLauncher(options.temporal.client, options.temporal.address, options.temporal.taskQueue, box, home);
    this.connections = new Connections(
      metadata.db,
      box,
      async (connector) => (await this.connectors.spec(connector)).optionsSchema ?? undefined,
    );
    this.runs = new Runs({
      db: metadata.db,
      connections: this.connections,
      launcher: options.launcher ?? temporal ?? new InProcessLauncher(home),
      defaultDestination: metadata.store,
      maxConcurrent: options.maxConcurrentSyncs,
      logger,
      explain: (error) => metadata.explain(error),
    });
    const scheduleLogger = logger.child({ component: "scheduler" });
    this.scheduler =
      temporal && options.temporal
        ? new TemporalSchedules(
            options.temporal.client,
            this.connections,
            this.runs,
            temporal,
            metadata.store,
            scheduleLogger,
          )
        : new Scheduler(this.connections, this.runs, scheduleLogger, (error) => metadata.explain(error));
    this.data = new DataAccess(new DataReader(metadata), metadata.store);
  }

  static async open(options: AppOptions): Promise<App> {
    const metadata = await openMetadata(options.db);
    try {
      const app = new App(metadata, options.home ?? sluiceHome(), options.logger, options);
      await app.runs.closeOrphans();
      return app;
    } catch (error) {
      await metadata.close();
      throw error;
    }
  }

  /** The database, for messages (a path, or a URL without its password). */
  get db(): string {
    return this.metadata.location;
  }

  /** Stops cleanly: no new runs, running syncs cancelled gracefully (their committed pages and state stay). */
  async close(): Promise<void> {
    await this.scheduler.stop();
    await this.runs.shutdown();
    await this.data.close();
    await this.metadata.close();
  }
}
