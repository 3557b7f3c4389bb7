import { getDb, getPool } from './index';
import { isConnectionLost } from './errors';
import { discardIdleConnections } from './lost-connections';

type Db = ReturnType<typeof getDb>;

/**
 * Runs a read-only query; if its pooled connection turns out to have been closed while it sat idle (a
 * serverless host froze this instance, Neon suspended its compute meanwhile, and nobody told us), runs
 * it once more on a fresh connection instead of failing. Only for statements without side effects: a
 * write whose connection is lost may have run anyway, so it is never retried here (the caller answers
 * 503 and the client decides).
 */
export async function readWithRetry<T>(read: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await read(getDb());
  } catch (error) {
    if (!isConnectionLost(error)) throw error;
    // Fresh: the other idle connections are closed first (they are most likely dead as well).
    await discardIdleConnections(getPool());
    return read(getDb());
  }
}
