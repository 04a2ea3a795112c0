/**
 * The application's own tables (tokens, sessions, connections, runs), kept in
 * the same database as the data, beside the store's `_sluice_*` tables. Times
 * are ISO-8601 UTC text on every dialect, so they sort and compare the same.
 */
export interface TokenTable {
  /** The public part of the token (it is also inside the token text): names it in lists and revocations. */
  id: string;
  name: string;
  role: string;
  /** SHA-256 of the whole token, hex: the token itself is never stored. */
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SessionTable {
  /** SHA-256 of the session cookie's value, hex. */
  hash: string;
  token_id: string;
  created_at: string;
  expires_at: string;
}

export interface MetadataSchema {
  _sluice_tokens: TokenTable;
  _sluice_sessions: SessionTable;
}
