/** For the database commands: a Neon-driver pool on DATABASE_URL (the local database when unset). */
import { Pool } from '@neondatabase/serverless';
import { configureNeonDriver } from '../../lib/db/driver';
import { databaseUrl } from '../../lib/config/database-url';
import { ensureDatabaseUrl } from '../local/local-db';

/** A small Neon-driver pool for a command (not the app's: commands connect once, patiently). */
export function openPool(url: URL, max = 2): Pool {
  configureNeonDriver(url, process.env.NEON_WS_PROXY?.trim());
  return new Pool({ connectionString: url.href, max, connectionTimeoutMillis: 10_000 });
}

export async function withPool<T>(work: (pool: Pool, url: URL) => Promise<T>): Promise<T> {
  const stop = await ensureDatabaseUrl();
  try {
    const url = databaseUrl();
    const pool = openPool(url);
    try {
      return await work(pool, url);
    } finally {
      await pool.end();
    }
  } finally {
    await stop();
  }
}
