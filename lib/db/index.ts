import { drizzle } from 'drizzle-orm/neon-serverless';
import { configureNeonDriver } from './driver';
import { discardIdleConnectionsOnLoss } from './lost-connections';
import { Pool } from './pool';
import * as schema from './schema';
import { config, databaseUrlSetting } from '../config';

/** How long to wait for a connection (or a query) before answering 503 instead of hanging. */
export const CONNECT_TIMEOUT_MS = 4_000;

function createDatabase() {
  const url = databaseUrlSetting();
  configureNeonDriver(url, config().database.wsProxy);
  const pool = new Pool({
    connectionString: url.href,
    max: config().database.poolMax,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // And for a connection that goes silent mid-query: give up (503) instead of waiting forever. The
    // failed connection is dropped from the pool. Auth queries take milliseconds.
    query_timeout: CONNECT_TIMEOUT_MS,
    // Short, for serverless hosts: they freeze the instance between requests, and a connection kept
    // idle across a freeze may have been closed by Neon meanwhile (found on use: see read-retry.ts).
    idleTimeoutMillis: 5_000,
  });
  // An idle connection that dies (database restart, network drop) emits 'error' on the pool; without
  // a listener that would crash the process. The pool drops the connection and opens a new one later.
  pool.on('error', (error: Error) => console.error('database: idle connection lost:', error.message));
  discardIdleConnectionsOnLoss(pool);
  return { pool, db: drizzle({ client: pool, schema }) };
}

type Database = ReturnType<typeof createDatabase>;

// One pool per process, created on first use (so `next build` needs no DATABASE_URL) and kept on
// globalThis so that `next dev` reloading this module does not open a new pool each time.
const holder = globalThis as typeof globalThis & { __authDatabase?: Database };

function database(): Database {
  return (holder.__authDatabase ??= createDatabase());
}

/** The Drizzle client every query goes through. */
export function getDb(): Database['db'] {
  return database().db;
}

export function getPool(): Database['pool'] {
  return database().pool;
}

export { schema };
