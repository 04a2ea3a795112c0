/**
 * The API's shapes, as TypeBox schemas: the same objects validate requests,
 * shape responses (nothing outside a response schema is ever sent — secrets
 * stay out by construction) and make the OpenAPI 3.1 document.
 */
import { type Static, type TNull, type TSchema, type TUnion, Type } from "typebox";

/**
 * A value or null. Scalars become `{"type": [t, "null"]}` rather than anyOf: the
 * response serializer then writes them directly instead of testing each branch
 * (listing 1,000 runs: 3x faster).
 */
function Nullable<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === "string" && type !== "object" && type !== "array")
    return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, "null"] }) as unknown as TUnion<[T, TNull]>;
  return Type.Union([schema, Type.Null()]);
}

export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: "an id" });
export const IdParams = Type.Object({ id: Id });
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "stable, for programs" }),
      message: Type.String({ description: "for people: what is wrong and what to do" }),
      field: Type.Optional(Type.String({ description: "the request field at fault, when there is one" })),
    }),
  },
  { $id: "Error" },
);

/** The errors a route that changes or runs things may answer (any route reading the database may answer 503). */
export const ERROR_RESPONSES = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  503: ErrorBody,
};

export const TokenHolder = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal("admin"), Type.Literal("read")]),
});

export const SessionBody = Type.Object({ csrf: Type.String(), token: TokenHolder, expiresAt: Nullable(Type.String()) });
export const LoginBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });

export const Options = Type.Union(
  [
    Type.Object({ format: Type.Literal("json"), value: Type.Record(Type.String(), Type.Unknown()) }),
    Type.Object({ format: Type.Literal("raw"), value: Type.String({ maxLength: 1_000_000 }) }),
  ],
  { description: "a JSON object, or a raw string handed to the connector as is (c1-core); secrets read as ••••••••" },
);

export const Schedule = Type.Union([
  Type.Object({ cron: Type.String({ minLength: 1, maxLength: 200, description: "cron expression, 5 or 6 fields" }) }),
  Type.Object({ everySeconds: Type.Integer({ minimum: 1, maximum: 31_536_000 }) }),
]);

export const RetrySettings = Type.Object(
  {
    maximumAttempts: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10_000,
        description: "attempts in all: 1 = never retried, 0 = unlimited (default 5)",
      }),
    ),
    initialIntervalSeconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 86_400, description: "the wait before the first retry (default 5)" }),
    ),
    backoffCoefficient: Type.Optional(
      Type.Number({ minimum: 1, maximum: 100, description: "each wait is this many times the one before (default 2)" }),
    ),
    maximumIntervalSeconds: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 604_800,
        description: "the longest wait between attempts (default 300)",
      }),
    ),
  },
  { additionalProperties: false, description: "how a sync through Temporal is retried (sluice server --temporal)" },
);

export const TimeoutSettings = Type.Object(
  {
    startToCloseSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 31_536_000,
        description: "the longest one attempt may run; 0 = no limit (default)",
      }),
    ),
    heartbeatSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 86_400,
        description: "a worker silent this long is taken for dead, and the sync retried on another (default 60)",
      }),
    ),
  },
  { additionalProperties: false, description: "the timeouts of a sync's attempts through Temporal" },
);

const Pointer = Type.String({ maxLength: 1000, pattern: "^(/.*)?$", description: "a JSON pointer, e.g. /password" });

export const ConnectionInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$" }),
  connector: Type.String({ minLength: 1, maxLength: 64 }),
  options: Options,
  secretPaths: Type.Optional(Type.Array(Pointer, { maxItems: 200, description: "secrets chosen by the user" })),
  streams: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }))),
  tablePrefix: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  destination: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 1000,
        description:
          "a store as --db names it (a SQLite file, postgres://…, duckdb:<file>); null: the server's database",
      }),
    ),
  ),
  schedule: Type.Optional(Nullable(Schedule)),
  retry: Type.Optional(Nullable(RetrySettings)),
  timeouts: Type.Optional(Nullable(TimeoutSettings)),
  paused: Type.Optional(Type.Boolean()),
});
export type ConnectionInputBody = Static<typeof ConnectionInput>;

export const RunStatus = Type.Union([
  Type.Literal("queued"),
  Type.Literal("running"),
  Type.Literal("succeeded"),
  Type.Literal("failed"),
  Type.Literal("cancelled"),
]);

export const Run = Type.Object({
  id: Type.Integer(),
  connectionId: Type.Integer(),
  trigger: Type.String(),
  status: RunStatus,
  queuedAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  syncId: Nullable(Type.Integer()),
  pages: Type.Integer(),
  records: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  durationMs: Nullable(Type.Integer()),
  recordsPerSecond: Nullable(Type.Integer()),
  estimatedTotal: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  stderrTail: Nullable(Type.String()),
});

export const LogEntry = Type.Object({
  time: Type.String(),
  level: Type.String(),
  message: Type.String(),
  fields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const RunDetail = Type.Intersect([Run, Type.Object({ connection: Type.String(), log: Type.Array(LogEntry) })]);

export const Connection = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  connector: Type.String(),
  options: Options,
  secretPaths: Type.Array(Type.String()),
  streams: Nullable(Type.Array(Type.String())),
  tablePrefix: Nullable(Type.String()),
  destination: Nullable(Type.String()),
  schedule: Nullable(Schedule),
  retry: Nullable(RetrySettings),
  timeouts: Nullable(TimeoutSettings),
  paused: Type.Boolean(),
  nextRunAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lastRun: Nullable(Run),
});

export const Connector = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  source: Type.String(),
  uri: Type.String(),
  command: Type.String(),
  version: Nullable(Type.String()),
  status: Type.String(),
  installedAt: Nullable(Type.String()),
  error: Nullable(Type.String()),
});

export const PlanRequest = Type.Object({
  manifest: Type.Optional(
    Type.Union([Type.String({ maxLength: 1_000_000 }), Type.Record(Type.String(), Type.Unknown())], {
      description: "the manifest: pasted JSON text or an object",
    }),
  ),
  url: Type.Optional(Type.String({ pattern: "^https?://", maxLength: 2000, description: "or where to fetch it" })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "install under this name" })),
});

export const Plan = Type.Object({
  planId: Type.String(),
  action: Type.Union([Type.Literal("install"), Type.Literal("update")]),
  name: Type.String(),
  description: Nullable(Type.String()),
  source: Type.String(),
  uri: Type.String(),
  folder: Type.String(),
  steps: Type.Array(Type.String()),
  command: Type.String(),
  warnings: Type.Array(Type.String()),
  expiresAt: Type.String(),
});

export const ApplyRequest = Type.Object({
  planId: Type.String({ minLength: 1, maxLength: 100 }),
  confirm: Type.Literal(true, { description: "must be true: the user saw every step of the plan and agreed" }),
});

export const ApplyResult = Type.Object({
  action: Type.String(),
  name: Type.String(),
  version: Nullable(Type.String()),
  folder: Type.String(),
  log: Type.String(),
  durationMs: Type.Integer(),
  output: Type.String(),
});

export const ConnectorSpec = Type.Object({
  name: Type.String(),
  protocol: Type.String(),
  version: Type.String(),
  description: Type.String(),
  optionsSchema: Nullable(Type.Record(Type.String(), Type.Unknown())),
  secretPaths: Type.Array(Type.String()),
});

export const ProbeRequest = Type.Object({
  options: Options,
  connectionId: Type.Optional(Id),
});

export const CheckResult = Type.Object({ ok: Type.Boolean(), problems: Type.Array(Type.String()) });

export const Stream = Type.Object({
  name: Type.String(),
  primaryKey: Type.Array(Type.String()),
  cursorField: Nullable(Type.String()),
  syncModes: Type.Array(Type.String()),
  fields: Type.Array(Type.String()),
});

export const TableInfo = Type.Object({
  stream: Type.String(),
  table: Type.String(),
  primaryKey: Type.Array(Type.String()),
  rows: Type.Integer(),
});

export const RowsPage = Type.Object({
  table: Type.String(),
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
});

export const SearchHit = Type.Object({
  connectionId: Type.Integer(),
  connection: Type.String(),
  stream: Type.String(),
  table: Type.String(),
  key: Type.Record(Type.String(), Type.Unknown()),
  record: Type.Record(Type.String(), Type.Unknown()),
  matched: Type.Array(Type.String()),
  uri: Nullable(Type.String()),
});

export const Paging = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  before: Type.Optional(Id),
});
