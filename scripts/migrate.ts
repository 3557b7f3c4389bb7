/**
 * npm run db:migrate: applies the SQL migrations under drizzle/ to DATABASE_URL (the local database
 * when it is unset), through the same Neon driver the app uses. This is when tables are created;
 * the app itself never creates or alters tables.
 */
import path from 'node:path';
import type { Pool } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import { databaseUrl } from '../lib/db/url';
import { openPool } from './db';
import { isMain, run } from './run';
import { ensureDatabaseUrl } from './local-db';

async function appliedMigrations(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ exists: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as exists",
  );
  if (!rows[0]?.exists) return 0;
  const count = await pool.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
  return count.rows[0]?.n ?? 0;
}

/** Applies pending migrations; returns how many were new and how many exist in all. */
export async function applyMigrations(url: URL): Promise<{ applied: number; total: number }> {
  const pool = openPool(url, 1);
  try {
    const before = await appliedMigrations(pool);
    await migrate(drizzle({ client: pool }), { migrationsFolder: path.join(process.cwd(), 'drizzle') });
    const total = await appliedMigrations(pool);
    return { applied: total - before, total };
  } finally {
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
    console.log(`migrating ${url.hostname}${url.pathname} (${name}) ...`);
    console.log(describeMigrations(await applyMigrations(url)));
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) run(main);
