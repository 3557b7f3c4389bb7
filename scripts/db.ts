/** For the database commands: a Neon-driver pool on DATABASE_URL (the local database when unset). */
import { Pool } from '@neondatabase/serverless';
import { configureNeonDriver } from '../lib/db/driver';
import { databaseUrl, readSetting } from '../lib/config/commands';
import { loadEnvFiles } from './support/env';
import { startLocalDatabase } from './local/local-db';

/**
 * For scripts: leaves a DATABASE_URL from the environment as it is; otherwise points it at the local
 * database (started if need be). Returns a function that stops whatever was started.
 */
export async function ensureDatabaseUrl(): Promise<() => Promise<void>> {
  loadEnvFiles();
  if (readSetting('DATABASE_URL')) return async () => {};
  const local = await startLocalDatabase({ log: (line) => console.error(line) });
  process.env.DATABASE_URL = local.url;
  console.error(
    local.owned
      ? 'DATABASE_URL is not set: using the local database (started for this command).'
      : 'DATABASE_URL is not set: using the local database that `npm run dev` / `npm run db:local` runs.',
  );
  return local.stop;
}

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
