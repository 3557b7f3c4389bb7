/** For the database commands: a Neon-driver pool on DATABASE_URL (the local database when unset). */
import { Pool } from '@neondatabase/serverless';
import { configureNeonDriver } from '../lib/db/driver';
import { databaseUrl } from '../lib/db/url';
import { ensureDatabaseUrl } from './local-db';

export async function withPool<T>(work: (pool: Pool, url: URL) => Promise<T>): Promise<T> {
  const stop = await ensureDatabaseUrl();
  try {
    const url = databaseUrl();
    configureNeonDriver(url);
    const pool = new Pool({ connectionString: url.href, max: 2, connectionTimeoutMillis: 10_000 });
    try {
      return await work(pool, url);
    } finally {
      await pool.end();
    }
  } finally {
    await stop();
  }
}
