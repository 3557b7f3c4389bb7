/** For the database commands: a Neon-driver pool on DATABASE_URL (the local database when unset). */
import { Pool } from '@neondatabase/serverless';
import { configureNeonDriver } from '../../lib/db/driver';
import { databaseUrl, readSetting } from '../../lib/config/commands';
import { ensureDatabaseUrl } from '../local/local-db';

/** A small Neon-driver pool for a command (not the app's: commands connect once, patiently). */
export function openPool(url: URL, max = 2): Pool {
  configureNeonDriver(url, readSetting('NEON_WS_PROXY'));
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
