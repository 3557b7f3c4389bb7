/**
 * npm run db:prune: deletes what no request needs any more. Schedule it (cron, a CI schedule, a
 * serverless cron job) daily; nothing in the request path does this work.
 *   - sessions that expired (their refresh state is part of their row)
 *   - sessions revoked more than PRUNE_REVOKED_AFTER ago (default 7d; kept that long for inspection)
 *   - rate-limit rows untouched for a day (every window and back-off is shorter than that)
 */
import { readConfig } from '../lib/config';
import { withPool } from './support/db';
import { run } from './support/run';

run(() =>
  withPool(async (pool, url) => {
    const keepRevoked = readConfig(process.env).maintenance.pruneRevokedAfter;
    const sessions = await pool.query(
      `delete from sessions
       where expires_at < now() or revoked_at < now() - make_interval(secs => $1)`,
      [keepRevoked],
    );
    const limits = await pool.query(`delete from rate_limits where updated_at < now() - interval '1 day'`);
    console.log(`${url.hostname}${url.pathname}: deleted ${sessions.rowCount} expired or long-revoked session(s) and ${limits.rowCount} stale rate-limit row(s).`);
  }),
);
