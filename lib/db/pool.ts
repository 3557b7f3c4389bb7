import { Pool as NeonPool, type PoolClient } from '@neondatabase/serverless';
import { sqlState } from './errors';

type ConnectCallback = (error: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
type Query = PoolClient['query'];

/**
 * The Neon driver's Pool, except that a connection checked out with `connect()` (Drizzle's transactions
 * do that) gives its slot back the moment it breaks, whether or not its holder ever releases it.
 *
 * Why: Drizzle sends BEGIN before its try/finally, so when BEGIN fails (connection cut, refused upstream,
 * query timeout) it never calls release(), and the bundled pg-pool keeps the slot for good; a handful of
 * those during an outage fill DB_POOL_MAX and every later request waits for a slot, then answers 503
 * ("timeout exceeded when trying to connect") until a restart. Likewise a holder that releases after a
 * timed-out statement would hand back a connection still waiting for that statement's answer.
 *
 * `pool.query()` (single statements) checks out through the callback form, and pg-pool itself releases
 * those with their error; they are left as they are.
 */
export class Pool extends NeonPool {
  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    if (callback) return super.connect(callback);
    return super.connect().then(releasedWhenBroken);
  }
}

/**
 * True when, after this error, the connection cannot be trusted for another statement: no SQLSTATE (the
 * connection closed, a timeout fired while an answer may still come, the client gave up) or a connection
 * exception (08) or shutdown (57P). A statement the database rejected (a constraint, a serialization
 * failure) leaves it usable: its transaction is rolled back and the connection pooled again.
 */
function breaksConnection(error: unknown): boolean {
  const state = sqlState(error);
  return state === undefined || state.startsWith('08') || state.startsWith('57P');
}

function releasedWhenBroken(client: PoolClient): PoolClient {
  const release = client.release;
  const query = client.query;
  let released = false;
  let broken: Error | undefined;

  // `reason`, as pg-pool's release takes it: an error or true closes the connection, nothing pools it again.
  const giveBack = (reason?: Error | boolean) => {
    if (released) return;
    released = true;
    client.removeListener('error', breakOff);
    client.removeListener('end', ended);
    // A sound connection goes back to the pool as it came; a broken one is closed by the pool, and
    // keeps answering its holder with what broke it.
    if (!reason) delete (client as { query?: Query }).query;
    release(reason);
  };
  function breakOff(error: Error) {
    broken ??= error;
    giveBack(broken);
  }
  function ended() {
    breakOff(new Error('Connection terminated unexpectedly'));
  }

  // Also stops a connection that dies while checked out from being an unhandled 'error' event.
  client.on('error', breakOff);
  client.on('end', ended);
  client.query = function (this: PoolClient, ...args: unknown[]) {
    if (broken) return Promise.reject(broken);
    const result = (query as (...a: unknown[]) => unknown).apply(client, args);
    if (result instanceof Promise) {
      // A second handler, beside the holder's: it neither handles nor changes the holder's outcome.
      result.then(undefined, (error: unknown) => {
        if (breaksConnection(error)) breakOff(error instanceof Error ? error : new Error(String(error)));
      });
    }
    return result;
  } as Query;
  // Idempotent: the holder's own release after a break (Drizzle's finally) finds the slot already given back.
  client.release = (reason?: Error | boolean) => giveBack(broken ?? reason);
  return client;
}
