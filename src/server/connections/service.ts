/**
 * Connections (c1-core's accounts): an installed connector, a name, its
 * options (secrets sealed apart), the streams to read, where the data goes
 * and when. Reads and writes the connections table; knows nothing of HTTP.
 */
import { type MetadataDb, now } from "../metadata/index.js";
import type { Selectable } from "kysely";
import type { ConnectionTable } from "../metadata/schema.js";

type ConnectionRow = Selectable<ConnectionTable>;
import { secretPathsOf } from "./form.js";
import { type ConnectionOptions, type Json, joinSecrets, parsePointer, splitSecrets, unmask } from "./options.js";
import { checkSchedule, decodeSchedule, encodeSchedule, nextRun, type Schedule } from "./schedule.js";
import type { SecretBox } from "./secret-box.js";
import { checkSyncPolicy, type RetrySettings, type TimeoutSettings } from "./sync-policy.js";
import { parseStoreLocation, type StoreLocation } from "../../stores/location.js";
import { checkUrlSettings } from "../../stores/postgres/keywords.js";
import { StoreLocationError } from "../../stores/types.js";
import { ServerError } from "../errors.js";

export interface Connection {
  id: number;
  name: string;
  connector: string;
  /** Secrets masked. */
  options: ConnectionOptions;
  secretPaths: string[];
  streams: string[] | null;
  tablePrefix: string | null;
  destination: string | null;
  schedule: Schedule | null;
  /** How its syncs through Temporal are retried and timed (null: the defaults). */
  retry: RetrySettings | null;
  timeouts: TimeoutSettings | null;
  paused: boolean;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionInput {
  name: string;
  connector: string;
  options: ConnectionOptions;
  /** Secret fields the user chose, beside those the connector's schema marks. */
  secretPaths?: string[];
  streams?: string[] | null;
  tablePrefix?: string | null;
  destination?: string | null;
  schedule?: Schedule | null;
  retry?: RetrySettings | null;
  timeouts?: TimeoutSettings | null;
  paused?: boolean;
}

/** What the service needs to know of a connector: its option schema (undefined: none published). */
export type SchemaOf = (connector: string) => Promise<object | undefined>;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class Connections {
  constructor(
    private readonly db: MetadataDb,
    private readonly box: SecretBox,
    private readonly schemaOf: SchemaOf,
  ) {}

  async list(): Promise<Connection[]> {
    const rows = await this.db.selectFrom("_sluice_connections").selectAll().orderBy("name").execute();
    return rows.map(toConnection);
  }

  async get(id: number): Promise<Connection> {
    return toConnection(await this.row(id));
  }

  async byName(name: string): Promise<Connection> {
    const row = await this.db.selectFrom("_sluice_connections").selectAll().where("name", "=", name).executeTakeFirst();
    if (!row) throw new ServerError("CONNECTION_NOT_FOUND", `no connection is named "${name}"`, "name");
    return toConnection(row);
  }

  /** The options the connector gets: secrets decrypted. Never for responses or logs. */
  async unsealedOptions(id: number): Promise<{ options: ConnectionOptions; secrets: Json[] }> {
    const row = await this.row(id);
    const secrets = this.secretsOf(row);
    return { options: joinSecrets(JSON.parse(row.options), secrets), secrets: Object.values(secrets) };
  }

  /** Options sent by a form, its masks filled in from connection `id`'s stored secrets. */
  async unmaskFor(id: number | undefined, options: ConnectionOptions): Promise<ConnectionOptions> {
    return unmask(options, id === undefined ? {} : this.secretsOf(await this.row(id)));
  }

  async create(input: ConnectionInput): Promise<Connection> {
    const fields = await this.prepare(input, {});
    const at = now();
    const duplicate = await this.db
      .selectFrom("_sluice_connections")
      .select("id")
      .where("name", "=", input.name)
      .executeTakeFirst();
    if (duplicate)
      throw new ServerError("CONNECTION_EXISTS", `a connection named "${input.name}" exists already`, "name");
    const { id } = await this.db
      .insertInto("_sluice_connections")
      .values({ ...fields, created_at: at, updated_at: at })
      .returning("id")
      .executeTakeFirstOrThrow();
    return this.get(id);
  }

  async update(id: number, input: ConnectionInput): Promise<Connection> {
    const current = await this.row(id);
    if (input.name !== current.name)
      throw new ServerError(
        "CONNECTION_RENAME",
        `a connection's name names its tables and state, so it cannot change ("${current.name}"); make a new connection instead`,
        "name",
      );
    const fields = await this.prepare(input, this.secretsOf(current), current);
    await this.db
      .updateTable("_sluice_connections")
      .set({ ...fields, updated_at: now() })
      .where("id", "=", id)
      .execute();
    return this.get(id);
  }

  async delete(id: number): Promise<Connection> {
    const connection = await this.get(id);
    await this.db.deleteFrom("_sluice_connections").where("id", "=", id).execute();
    return connection;
  }

  /** Connections whose schedule is due at `at` (not paused). */
  async due(at: Date): Promise<Connection[]> {
    const rows = await this.db
      .selectFrom("_sluice_connections")
      .selectAll()
      .where("paused", "=", 0)
      .where("next_run_at", "is not", null)
      .where("next_run_at", "<=", at.toISOString())
      .execute();
    return rows.map(toConnection);
  }

  /** The earliest planned run of any active schedule. */
  async nextPlanned(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom("_sluice_connections")
      .select("next_run_at")
      .where("paused", "=", 0)
      .where("next_run_at", "is not", null)
      .orderBy("next_run_at")
      .limit(1)
      .executeTakeFirst();
    return row?.next_run_at ? new Date(row.next_run_at) : undefined;
  }

  /** Moves a connection's schedule past `after` (it fired, or was skipped). */
  async advance(connection: Connection, after: Date): Promise<void> {
    if (!connection.schedule) return;
    const planned = connection.nextRunAt ? new Date(connection.nextRunAt) : undefined;
    await this.db
      .updateTable("_sluice_connections")
      .set({ next_run_at: nextRun(connection.schedule, after, planned).toISOString() })
      .where("id", "=", connection.id)
      .execute();
  }

  private async prepare(
    input: ConnectionInput,
    storedSecrets: Record<string, Json>,
    current?: ConnectionRow,
  ): Promise<Omit<ConnectionRow, "id" | "created_at" | "updated_at">> {
    if (!NAME_PATTERN.test(input.name))
      throw new ServerError(
        "CONNECTION_NAME_INVALID",
        `a connection's name is letters, digits, '_', '.' or '-' (at most 64, starting with a letter or digit); got ${JSON.stringify(input.name)}`,
        "name",
      );
    const schema = await this.schemaOf(input.connector);
    const options = unmask(input.options, storedSecrets);
    const chosen = input.secretPaths ?? [];
    for (const path of chosen) parsePointer(path);
    if (chosen.includes("") && options.format !== "raw")
      throw new ServerError(
        "OPTIONS_INVALID",
        'secret path "" (the whole options) is only for raw options',
        "secretPaths",
      );
    const secretPaths = [...new Set([...(options.format === "json" ? secretPathsOf(schema) : []), ...chosen])];
    const { rest, secrets } = splitSecrets(options, secretPaths);
    const schedule = input.schedule ? checkSchedule(input.schedule) : null;
    const scheduleText = encodeSchedule(schedule);
    const keepsPlan = current && current.schedule === scheduleText && current.next_run_at;
    checkSyncPolicy(input.retry ?? null, input.timeouts ?? null);
    return {
      name: input.name,
      connector: input.connector,
      options: JSON.stringify(rest),
      secrets: Object.keys(secrets).length ? this.box.encrypt(JSON.stringify(secrets)) : null,
      secret_paths: JSON.stringify(secretPaths),
      streams: input.streams?.length ? JSON.stringify(input.streams) : null,
      table_prefix: input.tablePrefix || null,
      destination: input.destination ? checkDestination(input.destination) : null,
      schedule: scheduleText,
      retry: jsonOrNull(input.retry),
      timeouts: jsonOrNull(input.timeouts),
      paused: input.paused ? 1 : 0,
      next_run_at: schedule ? (keepsPlan ? current.next_run_at : nextRun(schedule, new Date()).toISOString()) : null,
    };
  }

  private async row(id: number): Promise<ConnectionRow> {
    const row = await this.db.selectFrom("_sluice_connections").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new ServerError("CONNECTION_NOT_FOUND", `no connection has the id ${id}`, "id");
    return row;
  }

  private secretsOf(row: ConnectionRow): Record<string, Json> {
    return row.secrets ? JSON.parse(this.box.decrypt(row.secrets, `connection "${row.name}"`)) : {};
  }
}

function toConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    name: row.name,
    connector: row.connector ?? "",
    options: JSON.parse(row.options),
    secretPaths: JSON.parse(row.secret_paths),
    streams: row.streams ? JSON.parse(row.streams) : null,
    tablePrefix: row.table_prefix,
    destination: row.destination,
    schedule: decodeSchedule(row.schedule),
    retry: row.retry ? JSON.parse(row.retry) : null,
    timeouts: row.timeouts ? JSON.parse(row.timeouts) : null,
    paused: row.paused === 1,
    nextRunAt: row.next_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Settings as stored: null when none is set (the defaults apply). */
function jsonOrNull(settings: object | null | undefined): string | null {
  return settings && Object.keys(settings).length ? JSON.stringify(settings) : null;
}

/**
 * The store a destination names; one it does not, or a PostgreSQL URL with a setting Sluice refuses
 * (misspelt, or asking for a safety it cannot check), is the request's fault, named as its field.
 */
function destinationOf(destination: string): StoreLocation {
  try {
    const location = parseStoreLocation(destination);
    if (location.kind === "postgres") checkUrlSettings(location);
    return location;
  } catch (error) {
    if (error instanceof StoreLocationError) throw new ServerError("REQUEST_INVALID", error.message, "destination");
    throw error;
  }
}

/**
 * A destination is a store location as `--db` takes it. A password inside a
 * PostgreSQL URL would be shown wherever the connection is: refused, since
 * PGPASSWORD or ~/.pgpass in the server's environment give it safely.
 */
function checkDestination(destination: string): string {
  const location = destinationOf(destination);
  if (location.kind === "postgres" && location.passwordInUrl)
    throw new ServerError(
      "REQUEST_INVALID",
      `the destination URL holds a password, which every response would show (${location.display}); give the password to the server with PGPASSWORD or ~/.pgpass instead`,
      "destination",
    );
  return destination;
}
