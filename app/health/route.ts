import { sql } from 'drizzle-orm';
import { endpoints } from '@/lib/api/endpoints';
import { getDb, getPool } from '@/lib/db';
import { describeForLog } from '@/lib/db/errors';
import { on, reply, route } from '@/lib/http/endpoint';

export const dynamic = 'force-dynamic';

/** Answer within this, even if the database hangs rather than refuses. */
const HEALTH_TIMEOUT_MS = 3_000;

/** GET /health -> 200 when `select 1` through the pool works, else 503 with the same shape. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.health, async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
      });
      await Promise.race([getDb().execute(sql`select 1`), timeout]);
      return { status: 'ok' as const, database: 'ok' as const };
    } catch (error) {
      // The pool's state says whether connections are failing or all taken (an operator's first question).
      const pool = getPool();
      console.error(`GET /health: database unavailable: ${describeForLog(error)} (pool: ${pool.totalCount - pool.idleCount} of ${pool.options.max} in use, ${pool.waitingCount} waiting)`);
      return reply(503, { status: 'error' as const, database: 'unavailable' as const }, { 'Retry-After': '5' });
    } finally {
      clearTimeout(timer);
    }
  }),
);
