/**
 * npm run db:prune: deletes what no request needs any more. Schedule it (cron, a CI schedule, a
 * serverless cron job) daily; nothing in the request path does this work.
 *   - sessions that expired (their refresh state is part of their row)
 *   - sessions revoked more than PRUNE_REVOKED_AFTER ago (default 7d; kept that long for inspection)
 *   - rate-limit rows untouched for a day (every window and back-off is shorter than that)
 */
import { pruneRateLimits } from '../lib/auth/limits/window';
import { pruneSessions } from '../lib/auth/store/sessions';
import { config, databaseUrlSetting } from '../lib/config';
import { getPool } from '../lib/db';
import { ensureDatabaseUrl } from './db';
import { run } from './support/run';

run(async () => {
  const stopLocalDatabase = await ensureDatabaseUrl();
  try {
    const url = databaseUrlSetting();
    const sessions = await pruneSessions(config().maintenance.pruneRevokedAfter);
    const limits = await pruneRateLimits();
    console.log(`${url.hostname}${url.pathname}: deleted ${sessions} expired or long-revoked session(s) and ${limits} stale rate-limit row(s).`);
  } finally {
    // The app's pool keeps the process alive: close it (and a local database we started) when done.
    await getPool().end();
    await stopLocalDatabase();
  }
});
