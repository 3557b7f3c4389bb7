/**
 * Forced interleavings: a test's own connection takes a lock (a row FOR UPDATE, an uncommitted row), so
 * that the requests under test stop, visibly, where they need it; the test then changes what it likes
 * and lets them go. Which request waits for what is read from PostgreSQL (pg_blocking_pids), never
 * guessed from timing, so the interleaving is the same on every run.
 *
 * The server gives up on a query after 4 s (CONNECT_TIMEOUT_MS): hold a lock only as long as it takes
 * the requests to line up.
 */
import pg from 'pg';

export class LockHolder {
  private constructor(
    private readonly client: pg.Client,
    readonly pid: number,
  ) {}

  /** A connection to the test database with a transaction open. */
  static async open(): Promise<LockHolder> {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    await client.query('begin');
    return new LockHolder(client, rows[0]!.pid);
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.client.query<R>(text, values)).rows;
  }

  /** Backends waiting on a lock this transaction holds, directly or behind another such waiter. */
  async blocked(): Promise<number> {
    // Inside a transaction pg_stat_activity is read once and kept: drop that copy, or backends that
    // connected since would never be seen.
    await this.client.query('select pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ n: number }>(
      `with recursive waiting(pid) as (
         select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))
         union
         select a.pid from pg_stat_activity a join waiting w on w.pid = any(pg_blocking_pids(a.pid))
       )
       select count(*)::int as n from waiting`,
      [this.pid],
    );
    return rows[0]!.n;
  }

  /**
   * Resolves once `count` backends wait on this transaction. Also resolves when one of `pending` (the
   * requests under test) settles first: code that never waits has shown its interleaving, and the
   * test's assertions say what it did. Throws after `timeoutMs`.
   */
  async waitForBlocked(count: number, pending: Promise<unknown>[] = [], timeoutMs = 10_000): Promise<void> {
    let settled = false;
    for (const request of pending) request.then(() => (settled = true), () => (settled = true));
    const deadline = Date.now() + timeoutMs;
    while (!settled) {
      if ((await this.blocked()) >= count) return;
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${count} backend(s) to wait on pid ${this.pid}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async commit(): Promise<void> {
    await this.client.query('commit');
  }

  async rollback(): Promise<void> {
    await this.client.query('rollback');
  }

  /** Ends the connection (rolling back whatever is still open). Safe to call twice. */
  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/** Runs `work` with a LockHolder, closing it whatever happens. */
export async function holdingLocks<T>(work: (holder: LockHolder) => Promise<T>): Promise<T> {
  const holder = await LockHolder.open();
  try {
    return await work(holder);
  } finally {
    await holder.close();
  }
}
