/**
 * What a PostgreSQL store must remember to tell, after its connection was lost, whether the server
 * kept its writes: the transactions it committed lazily (synchronous_commit off, pages between
 * durable checkpoints) since its last durable commit, by id and with the page each wrote. A server
 * that crashed, rather than shut down, takes back the commits that had not reached its disk, whole
 * and in order; the store asks about the newest on a new connection (src/stores/postgres/store.ts).
 */
import type { PageTakenBack } from "../types.js";

/** How many of the latest lazy commits are kept: a crash takes back well under a second of them. */
const MOST_KEPT = 256;
/** PostgreSQL's SQLSTATE for a bad argument: txid_status's for an id beyond any it has given. */
const INVALID_PARAMETER = "22023";

/** What became of a transaction: txid_status's answer. */
export type CommitStatus = "committed" | "aborted" | "in progress";

/** Runs one statement and returns its rows (the store's query, which reconnects first where needed). */
type Query = (sql: string, values: unknown[]) => Promise<{ status: string | null }[]>;

/**
 * What became of transaction `xid` on the server `query` reaches: "aborted" also when a crash took it
 * back, or when the server no longer knows the id (taken back by a crash with the ids after it).
 */
export async function commitStatus(query: Query, xid: string): Promise<CommitStatus> {
  try {
    const [row] = await query("SELECT txid_status($1::bigint) AS status", [xid]);
    return (row?.status as CommitStatus | null | undefined) ?? "aborted";
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_PARAMETER) return "aborted";
    throw error;
  }
}

/** The pages a crash took back, the newest first; `atLeast` when older ones may be gone too (more than were kept). */
export interface TakenBack {
  pages: PageTakenBack[];
  rows: number;
  atLeast: boolean;
}

export class LazyCommits {
  private commits: { xid: string; page?: PageTakenBack }[] = [];

  /** Notes how a transaction committed: a durable commit makes every lazy one before it durable too. */
  committed(commit: "durable" | "lazy", xid: string | undefined): void {
    if (commit === "durable") this.commits = [];
    else if (xid !== undefined) {
      this.commits.push({ xid });
      if (this.commits.length > MOST_KEPT) this.commits.shift();
    }
  }

  /** The page the transaction just committed lazily wrote. */
  wrote(page: PageTakenBack): void {
    const last = this.commits.at(-1);
    if (last && !last.page) last.page = page;
  }

  /**
   * Asks the server (`query`, on the new connection) about the lazy commits, newest first, until one
   * stayed: those before it stayed too. Forgets them all, as the new connection starts afresh.
   */
  async takenBack(query: Query): Promise<TakenBack | undefined> {
    const commits = this.commits;
    this.commits = [];
    const pages: PageTakenBack[] = [];
    let newestKept = commits.length - 1;
    for (; newestKept >= 0; newestKept--) {
      const { xid, page } = commits[newestKept]!;
      if ((await commitStatus(query, xid)) === "committed") break;
      if (page) pages.push(page);
    }
    if (newestKept === commits.length - 1) return undefined;
    return {
      pages,
      rows: pages.reduce((sum, page) => sum + page.rows, 0),
      atLeast: newestKept < 0 && commits.length === MOST_KEPT,
    };
  }
}
