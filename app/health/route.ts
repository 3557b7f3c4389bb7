import { sql } from 'drizzle-orm';
import { getDb } from '@/lib/db';
import { describeForLog } from '@/lib/db/errors';
import { json } from '@/lib/http/respond';
import { otherMethods } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Answer within this, even if the database hangs rather than refuses. */
const HEALTH_TIMEOUT_MS = 3_000;

/** GET /health -> 200 when `select 1` through the pool works, else 503. */
export async function GET(): Promise<Response> {
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
    });
    await Promise.race([getDb().execute(sql`select 1`), timeout]).finally(() => clearTimeout(timer));
    return json({ status: 'ok', database: 'ok' });
  } catch (error) {
    console.error(`GET /health: database unavailable: ${describeForLog(error)}`);
    return json({ status: 'error', database: 'unavailable' }, 503, { 'Retry-After': '5' });
  }
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods('GET');
