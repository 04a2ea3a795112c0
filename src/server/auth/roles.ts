/** What a token may do: admin, everything; read, every GET (pages, data, runs) and nothing that changes state. */
export const ROLES = ["admin", "read"] as const;
export type Role = (typeof ROLES)[number];
