import type { Pool } from '@neondatabase/serverless';
import { describeForLog, isConnectionLost } from './errors';

const discarding = new WeakMap<Pool, Promise<number>>();

/**
 * Closes the connections sitting idle in the pool, so that the next statements open fresh ones. Called
 * when one turned out to be closed: the pool hands out the most recently used idle connection first,
 * so the others have been idle at least as long and were most likely closed too (a Neon compute that
 * suspends closes them all). One run at a time per pool; it takes at most those idle when it starts.
 */
export function discardIdleConnections(pool: Pool): Promise<number> {
  let running = discarding.get(pool);
  if (!running) {
    running = (async () => {
      let closed = 0;
      // With idle connections, the pool hands one out and opens none. Each is closed at once (release
      // with true), so that this never holds a slot while it waits for the next.
      for (let left = pool.idleCount; left > 0 && pool.idleCount > 0; left--, closed++) (await pool.connect()).release(true);
      return closed;
    })().finally(() => discarding.delete(pool));
    discarding.set(pool, running);
  }
  return running;
}

/** Whenever a statement finds its connection closed (a read or a write), the idle ones are closed too. */
export function discardIdleConnectionsOnLoss(pool: Pool): void {
  pool.on('release', (error: unknown) => {
    if (!error || !isConnectionLost(error)) return;
    void discardIdleConnections(pool).then(
      (closed) => console.warn(`database: a connection was found closed (${describeForLog(error)}); closed ${closed} more idle connection(s)`),
      (failure: unknown) => console.error(`database: closing idle connections failed: ${describeForLog(failure)}`),
    );
  });
}
