import { sql, type SQL } from 'drizzle-orm';
import { config, type Config, type Limit } from '../../config';
import { getDb } from '../../db';
import { rateLimits } from '../../db/schema';
import { rateLimited } from '../errors';
import { forgotCounterKey, r, resendCounterKey } from './counters';

/**
 * Fixed-window rate limits whose state lives in PostgreSQL (table rate_limits), so that they hold across
 * every server instance, serverless ones included. Each check is one statement:
 * - per client address: login attempts, registrations, refreshes, reset requests (limitByAddress);
 * - per account: reset and verification mails (countAccountMail).
 * The password back-off (password-backoff.ts) counts in the same windows with countHit.
 *
 * Rows no request needs any more (untouched for longer than the longest window) are deleted by the
 * counting statements themselves, a few at a time, so the table stays bounded without `db:prune`.
 */

/** Stale rows each counting statement deletes: more than the (at most 3) rows it can create. */
const PRUNE_BATCH = 10;

/** Seconds after its last update when no limit can depend on a row any more: the longest window. */
function staleAfterSeconds(settings: Config['rateLimit']): number {
  return Math.max(
    settings.loginPerAddress.windowSeconds,
    settings.registerPerAddress.windowSeconds,
    settings.refreshPerAddress.windowSeconds,
    settings.forgotPerAddress.windowSeconds,
    settings.forgotPerEmail.windowSeconds,
    settings.resendPerUser.windowSeconds,
    settings.loginAccountFailures.windowSeconds,
    settings.loginBackoffMax,
  );
}

/**
 * A delete of a few stale rows, for the end of a counting statement's WITH list. `after` names a CTE
 * of the statement: reading it makes the statement's own counting finish before any stale row is
 * locked, so no statement waits while holding one. Rows another statement holds are skipped.
 */
export function pruneStale(settings: Config['rateLimit'], ownKeys: string[], after: SQL): SQL {
  return sql`pruned as (
    delete from ${rateLimits} where ${rateLimits.key} in (
      select ${r.key} from ${rateLimits}
      where ${r.updatedAt} < now() - make_interval(secs => ${staleAfterSeconds(settings)})
        and ${r.key} not in (${sql.join(ownKeys.map((key) => sql`${key}`), sql`, `)})
        and (select count(*) from ${after}) >= 0
      order by ${r.updatedAt}
      limit ${PRUNE_BATCH}
      for update skip locked)
  )`;
}

/** The upsert that counts one hit in a fixed window and returns the count and the window's end. */
export function countHit(key: string, { windowSeconds }: Limit): SQL {
  const expired = sql`r.${r.windowStartedAt} <= now() - make_interval(secs => ${windowSeconds})`;
  return sql`
    insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.updatedAt}) values (${key}, 1, now(), now())
    on conflict (${r.key}) do update set
      ${r.hits} = case when ${expired} then 1 else r.${r.hits} + 1 end,
      ${r.windowStartedAt} = case when ${expired} then now() else r.${r.windowStartedAt} end,
      ${r.updatedAt} = now()
    returning r.${r.hits} as hits,
      extract(epoch from r.${r.windowStartedAt} + make_interval(secs => ${windowSeconds}) - now())::float8 as retry_after`;
}

/** One statement: counts a request from this address; rate_limited past the limit. */
export async function limitByAddress(action: 'register' | 'refresh' | 'forgot', address: string): Promise<void> {
  const settings = config().rateLimit;
  if (!settings.enabled) return;
  const limit = { register: settings.registerPerAddress, refresh: settings.refreshPerAddress, forgot: settings.forgotPerAddress }[action];
  const key = `${action}:ip:${address}`;
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(sql`
    with attempt as (${countHit(key, limit)}),
    ${pruneStale(settings, [key], sql`attempt`)}
    select hits, retry_after from attempt`);
  const row = rows[0]!;
  if (row.hits > limit.max) throw rateLimited(row.retry_after);
}

/**
 * One statement: counts a request that would mail one account (a reset link by email, a new
 * verification link by user id) and says whether it is within the limit. The caller chooses what
 * "past it" means: a reset request still answers 202 and sends nothing, so the answer reveals nothing.
 */
export async function countAccountMail(
  action: 'forgot' | 'resend',
  account: string,
): Promise<{ allowed: true } | { allowed: false; retryAfter: number }> {
  const settings = config().rateLimit;
  if (!settings.enabled) return { allowed: true };
  const [key, limit] = action === 'forgot' ? [forgotCounterKey(account), settings.forgotPerEmail] : [resendCounterKey(account), settings.resendPerUser];
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(sql`
    with attempt as (${countHit(key, limit)}),
    ${pruneStale(settings, [key], sql`attempt`)}
    select hits, retry_after from attempt`);
  const row = rows[0]!;
  return row.hits > limit.max ? { allowed: false, retryAfter: row.retry_after } : { allowed: true };
}

/** npm run db:prune: deletes the rows untouched for a day (longer than any window or back-off). Returns how many. */
export async function pruneRateLimits(): Promise<number> {
  const { rowCount } = await getDb().execute(sql`delete from ${rateLimits} where ${r.updatedAt} < now() - interval '1 day'`);
  return rowCount ?? 0;
}
