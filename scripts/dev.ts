/**
 * npm run dev: the backend on a real database in one command.
 *
 * - DATABASE_URL set (environment or a .env file Next.js reads): used as it is; nothing is created.
 * - DATABASE_URL unset: starts the local PostgreSQL + Neon relay (scripts/local/local-db.ts), applies pending
 *   migrations, and hands the URL to `next dev` through its environment (never written to a file).
 * - JWT_SECRET or TOTP_ENCRYPTION_KEY unset: a fresh random one is written to .env.local, and we say so.
 * - SMTP_URL unset: starts the local mail catcher (scripts/local/mail-catcher.ts), which keeps each message
 *   under .data/mail/ and prints a line per message here; its address goes to `next dev` as SMTP_URL.
 * - APP_URL unset: the links in mail point at this dev server (http://localhost:<port>).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { databaseUrl } from '../lib/config/database-url';
import { loadEnvFiles } from './support/env';
import { ensureJwtSecret, ensureTotpKey } from './support/jwt-secret';
import { startLocalDatabase } from './local/local-db';
import { shownPath, startLocalMailCatcher } from './local/mail-catcher';
import { applyMigrations, describeMigrations } from './migrate';

/** The port `next dev` will listen on: -p/--port, else PORT, else 3000 (as next dev decides). */
function devPort(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === '-p' || arg === '--port') && args[i + 1]) return args[i + 1]!;
    if (arg.startsWith('--port=')) return arg.slice('--port='.length);
  }
  return process.env.PORT || '3000';
}

async function main(): Promise<void> {
  loadEnvFiles();
  if (ensureJwtSecret()) console.log('dev: JWT_SECRET was not set; wrote a new random one to .env.local.');
  if (ensureTotpKey()) console.log('dev: TOTP_ENCRYPTION_KEY was not set; wrote a new random one to .env.local.');

  // Before the database: if this fails (a taken LOCAL_MAIL_PORT), no PostgreSQL is left running behind it.
  let stopMailCatcher = async () => {};
  const smtpUrl = process.env.SMTP_URL?.trim();
  if (!smtpUrl) {
    const catcher = await startLocalMailCatcher();
    stopMailCatcher = catcher.stop;
    process.env.SMTP_URL = catcher.url;
    console.log(`dev: SMTP_URL is not set; mail goes to the local catcher at ${catcher.url}: one line per message here, each kept in ${shownPath(catcher.dir)}/`);
  } else if (smtpUrl.toLowerCase() === 'off') {
    console.log('dev: SMTP_URL=off: mail is turned off (no password reset or email verification).');
  } else {
    console.log(`dev: sending mail through SMTP_URL from your environment (${smtpUrl.replace(/\/\/[^@/]*@/, '//***@')}).`);
  }
  process.env.APP_URL ||= `http://localhost:${devPort(process.argv.slice(2))}`;

  let stopDatabase = async () => {};
  if (process.env.DATABASE_URL !== undefined && !process.env.DATABASE_URL.trim()) {
    // An empty line (a failed `$(npx neonctl ...)`) must not silently mean "the local database".
    console.warn('dev: DATABASE_URL is set but empty (in .env.local?): using the local database. Remove the line, or set your Neon connection string.');
  }
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
  // Ctrl-C reaches both processes; scripts/local/postgres-server.ts stops PostgreSQL on SIGINT/SIGTERM by itself.
  next.on('exit', (code) => {
    void Promise.all([stopDatabase(), stopMailCatcher()]).finally(() => process.exit(code ?? 0));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
