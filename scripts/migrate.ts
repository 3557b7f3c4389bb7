/**
 * npm run db:migrate: applies the SQL migrations under drizzle/ to DATABASE_URL (the local database
 * when it is unset), through the same Neon driver the app uses. This is when tables are created;
 * the app itself never creates or alters tables.
 */
import path from 'node:path';
import type { Pool, PoolClient } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import { databaseUrl } from '../lib/config/database-url';
import { openPool } from './support/db';
import { isMain, run } from './support/run';
import { ensureDatabaseUrl } from './local/local-db';

/** Any fixed bigint: the key every run of this app's migrations locks on. */
const MIGRATION_LOCK = 7_351_240_116;

async function appliedMigrations(pool: Pool | PoolClient): Promise<number> {
  const { rows } = await pool.query<{ exists: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as exists",
  );
  if (!rows[0]?.exists) return 0;
  const count = await pool.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
  return count.rows[0]?.n ?? 0;
}

/**
 * Applies pending migrations; returns how many were new and how many exist in all. Drizzle's migrator
 * takes no lock (drizzle-orm issue 874), so two runs at once could both apply a migration: this holds a
 * session-level advisory lock on the one connection the migrator also uses (its transaction runs on
 * it), so a second run waits, then finds nothing pending. Session locks need a direct connection, not
 * Neon's transaction-mode pooler (see main()).
 */
export async function applyMigrations(url: URL): Promise<{ applied: number; total: number }> {
  const pool = openPool(url, 1);
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const before = await appliedMigrations(client);
      await migrate(drizzle({ client }), { migrationsFolder: path.join(process.cwd(), 'drizzle') });
      const total = await appliedMigrations(client);
      return { applied: total - before, total };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
    await pool.end();
  }
}

export function describeMigrations({ applied, total }: { applied: number; total: number }): string {
  return applied > 0
    ? `migrations: applied ${applied} new migration(s) from drizzle/ (${total} in all): tables created/updated now.`
    : `migrations: none pending (${total} already applied).`;
}

async function main(): Promise<void> {
  const stop = await ensureDatabaseUrl();
  try {
    const name = process.env.DATABASE_URL_UNPOOLED?.trim() ? 'DATABASE_URL_UNPOOLED' : 'DATABASE_URL';
    const url = databaseUrl(process.env, name);
    if (url.hostname.includes('-pooler')) {
      throw new Error(
        `${name} is Neon's pooled host (-pooler): migrations need the direct host, where their lock holds. ` +
          'Set DATABASE_URL_UNPOOLED to `npx neonctl@5 connection-string --ssl verify-full`.',
      );
    }
    console.log(`migrating ${url.hostname}${url.pathname} (${name}) ...`);
    console.log(describeMigrations(await applyMigrations(url)));
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) run(main);
