import { sql, type SQL } from 'drizzle-orm';
import { config, type Config, type Limit } from '../../config';
import { getDb } from '../../db';
import { rateLimits } from '../../db/schema';
import { rateLimited } from '../errors';
import { networkOf, r } from './counters';

/**
 * Fixed-window rate limits whose state lives in PostgreSQL (table rate_limits), so that they hold across
 * every server instance, serverless ones included. Each check is one statement: per client address,
 * login attempts, registrations, refreshes, reset and resend requests (limitByAddress). The mail limits
 * (mail.ts) and the password back-off (password-backoff.ts) count with the same pieces (countHit,
 * chooseKeys, pruneStale).
 *
 * Rows no request needs any more (untouched for longer than the longest window) are deleted by the
 * counting statements themselves, a few at a time. And the table has a bound, RATE_LIMIT_MAX_ROWS,
 * however many addresses an attacker has: past half of it, a client address without a row of its own
 * counts in its network (IPv6 /48, IPv4 /24); past all of it, every new key counts in one shared
 * overflow key per limit (chooseKeys). Only known clients' rows are exempt (at most one per known
 * device or address of an account that failed within the window).
 */

/** Stale rows each counting statement deletes: more than the (at most 3) rows it can create. */
const PRUNE_BATCH = 10;

/**
 * A counter's key, and where it counts once the table is full (RATE_LIMIT_MAX_ROWS): `network` for a
 * key of a client address (its IPv6 /48 or IPv4 /24), `overflow` a key shared by every client of
 * that limit. A known client's key is exempt: `overflow` is the key itself.
 */
export type Key = { own: string; network?: string; overflow: string };

export const exempt = (own: string): Key => ({ own, overflow: own });

/** The key of a client address's counter for one limit. */
export function addressKey(prefix: string, address: string): Key {
  return { own: `${prefix}:ip:${address}`, network: `${prefix}:ip:${networkOf(address, 48, 24)}`, overflow: `${prefix}:ip:overflow` };
}

/**
 * For the WITH list of a counting statement: `table_fill` (rows in the table, counted up to
 * RATE_LIMIT_MAX_ROWS, read only when a key has no row yet) and `keys` (k0, k1, ...: the key each
 * counter uses now). A key with a row keeps it; a new key is its own below half the bound, its network's
 * below the bound, the shared overflow key past it.
 */
export function chooseKeys(keys: Key[]): SQL {
  const { maxRows } = config().rateLimit;
  const fill = sql`(select n from table_fill)`;
  const chosen = keys.map((key, i) => {
    if (key.overflow === key.own) return sql`${key.own}::text as ${sql.identifier(`k${i}`)}`;
    return sql`(case when exists (select from ${rateLimits} where ${r.key} = ${key.own}) then ${key.own}::text
      when ${fill} < ${key.network ? Math.floor(maxRows / 2) : maxRows} then ${key.own}::text
      ${key.network ? sql`when ${fill} < ${maxRows} then ${key.network}::text` : sql``}
      else ${key.overflow}::text end) as ${sql.identifier(`k${i}`)}`;
  });
  return sql`table_fill as (select count(*)::int as n from (select from ${rateLimits} limit ${maxRows}) as table_rows),
    keys as materialized (select ${sql.join(chosen, sql`, `)})`;
}

/** The key chooseKeys chose for the i-th counter. */
export const k = (i: number) => sql`(select ${sql.identifier(`k${i}`)} from keys)`;

/** "Someone tried to sign up with your email" notices per recipient (EMAIL_VERIFICATION=required). */
export const SIGNUP_NOTICES: Limit = { max: 3, windowSeconds: 3600 };

/** Seconds after its last update when no limit can depend on a row any more: the longest window. */
function staleAfterSeconds(settings: Config['rateLimit']): number {
  return Math.max(
    settings.loginPerAddress.windowSeconds,
    settings.registerPerAddress.windowSeconds,
    settings.refreshPerAddress.windowSeconds,
    settings.forgotPerAddress.windowSeconds,
    settings.forgotPerEmail.windowSeconds,
    settings.forgotPerEmailTotal.windowSeconds,
    settings.resendPerUser.windowSeconds,
    SIGNUP_NOTICES.windowSeconds,
    settings.loginAccountFailures.windowSeconds,
    settings.loginBackoffMax,
  );
}

/**
 * A delete of a few stale rows, for the end of a counting statement's WITH list. `after` names a CTE
 * of the statement: reading it makes the statement's own counting finish before any stale row is
 * locked, so no statement waits while holding one. Rows another statement holds are skipped.
 */
export function pruneStale(settings: Config['rateLimit'], ownKeys: SQL[], after: SQL): SQL {
  return sql`pruned as (
    delete from ${rateLimits} where ${rateLimits.key} in (
      select ${r.key} from ${rateLimits}
      where ${r.updatedAt} < now() - make_interval(secs => ${staleAfterSeconds(settings)})
        and ${r.key} not in (${sql.join(ownKeys, sql`, `)})
        and (select count(*) from ${after}) >= 0
      order by ${r.updatedAt}
      limit ${PRUNE_BATCH}
      for update skip locked)
  )`;
}

/**
 * The upsert that counts one hit in a fixed window and returns the count and the window's end;
 * nothing (no row returned) when `when` is false.
 */
export function countHit(key: SQL, { windowSeconds }: Limit, when: SQL = sql`true`): SQL {
  const expired = sql`r.${r.windowStartedAt} <= now() - make_interval(secs => ${windowSeconds})`;
  return sql`
    insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.updatedAt}) select ${key}, 1, now(), now() where ${when}
    on conflict (${r.key}) do update set
      ${r.hits} = case when ${expired} then 1 else r.${r.hits} + 1 end,
      ${r.windowStartedAt} = case when ${expired} then now() else r.${r.windowStartedAt} end,
      ${r.updatedAt} = now()
    returning r.${r.hits} as hits,
      extract(epoch from r.${r.windowStartedAt} + make_interval(secs => ${windowSeconds}) - now())::float8 as retry_after`;
}

/** One statement: counts a request from this address; rate_limited past the limit. */
export async function limitByAddress(action: 'register' | 'refresh' | 'forgot' | 'resend', address: string): Promise<void> {
  const settings = config().rateLimit;
  if (!settings.enabled) return;
  // Asking for a new verification link without a token is limited like asking for a reset link.
  const limit = { register: settings.registerPerAddress, refresh: settings.refreshPerAddress, forgot: settings.forgotPerAddress, resend: settings.forgotPerAddress }[action];
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(sql`
    with ${chooseKeys([addressKey(action, address)])},
    attempt as (${countHit(k(0), limit)}),
    ${pruneStale(settings, [k(0)], sql`attempt`)}
    select hits, retry_after from attempt`);
  const row = rows[0]!;
  if (row.hits > limit.max) throw rateLimited(row.retry_after);
}

/** npm run db:prune: deletes the rows untouched for a day (longer than any window or back-off). Returns how many. */
export async function pruneRateLimits(): Promise<number> {
  const { rowCount } = await getDb().execute(sql`delete from ${rateLimits} where ${r.updatedAt} < now() - interval '1 day'`);
  return rowCount ?? 0;
}
