/** How messages name a PostgreSQL server a connection goes to (connection.ts, password-file.ts). */

/** What the driver resolved a connection to, from the URL and the PG* variables. */
export interface ConnectionTarget {
  host?: string;
  port?: number;
  database?: string | null;
  user?: string;
}

/** Where a client is connecting, for messages: host:port (or its socket), database and user. */
export function describeServer(target: ConnectionTarget): string {
  const host = target.host?.startsWith("/")
    ? `socket ${target.host}`
    : `${target.host?.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  return `PostgreSQL at ${host} (database "${target.database}", user "${target.user}")`;
}
