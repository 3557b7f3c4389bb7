import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { config, type Config, type Limit } from '../../config';
import { getDb } from '../../db';
import { rateLimits } from '../../db/schema';
import { rateLimited } from '../errors';

/**
 * Rate limits whose state lives in PostgreSQL (table rate_limits), so that they hold across every
 * server instance, serverless ones included. Each check is one statement.
 *
 * - per client address: login attempts, registrations, refreshes, reset requests (fixed windows);
 * - per account: reset and verification mails (fixed windows, countAccountMail);
 * - password attempts (login, password change), counted before the password is checked:
 *   - per account and address: LOGIN_FAILURES_BEFORE_BACKOFF free, then a back-off of 1 s doubling
 *     with each attempt up to LOGIN_BACKOFF_MAX. No address waits for another within its free ones.
 *   - per account, from the addresses still within their free attempts: at most
 *     LOGIN_ACCOUNT_MAX_FAILURES (20/1h) checked in a window; past that every attempt at the account
 *     waits for the window's end. Each address adds at most its free attempts, so one address alone
 *     never reaches it: stopping the owner takes ceil(20 / 5) = 4 addresses.
 *   - per account, from the addresses past their free attempts: one shared back-off (1 s doubling up
 *     to LOGIN_BACKOFF_MAX), so that backing-off addresses gathered over hours add up to one.
 *   Failures are remembered for the account window (1 h) after an address's (or the account's) last.
 *   A right password forgets its address's failures and their share of the account's count; a
 *   password change or reset forgets every counter of the account. Unknown emails are counted alike,
 *   so limits reveal no accounts.
 *
 * Rows no request needs any more (untouched for longer than the longest window) are deleted by the
 * counting statements themselves, a few at a time, so the table stays bounded without `db:prune`.
 */

// Column names for the raw statements below, from the schema (a renamed column breaks the type check).
const r = {
  key: sql.identifier(rateLimits.key.name),
  hits: sql.identifier(rateLimits.hits.name),
  windowStartedAt: sql.identifier(rateLimits.windowStartedAt.name),
  blockedUntil: sql.identifier(rateLimits.blockedUntil.name),
  updatedAt: sql.identifier(rateLimits.updatedAt.name),
};

/** Stale rows each counting statement deletes: more than the (at most 3) rows it can create. */
const PRUNE_BATCH = 10;

/**
 * The key of an account's count of checked failures (the email is hashed: no address at rest). Its
 * other rows (one per client address, and the shared back-off) start with `accountCountersPrefix`.
 */
export function accountCounterKey(email: string): string {
  return `login:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
}

/** Every other counter of the account (per address, shared back-off) has a key starting with this. */
export function accountCountersPrefix(email: string): string {
  return `${accountCounterKey(email)}:`;
}

/** The key of one client address's failures at one account. */
export function addressCounterKey(email: string, address: string): string {
  return `${accountCountersPrefix(email)}ip:${address}`;
}

/** The key of the back-off shared by the addresses that have used their free attempts at the account. */
export function sharedBackoffKey(email: string): string {
  return `${accountCountersPrefix(email)}backoff`;
}

/**
 * SQL condition on rate_limits: every counter of the account's password attempts (its count, its
 * shared back-off, each address's failures), for `delete from rate_limits where ${loginCountersOf(email)}`
 * in the statements that change, reset or delete the password. Rows locked by an attempt in flight
 * are left to it, not waited for: waiting could deadlock with that attempt.
 */
export function loginCountersOf(email: string): SQL {
  return sql`${rateLimits.key} in (
    select ${r.key} from ${rateLimits}
    where ${r.key} = ${accountCounterKey(email)} or ${r.key} like ${`${accountCountersPrefix(email)}%`}
    for update skip locked)`;
}

/** The delete (for a WITH clause or on its own) of every counter of the account: loginCountersOf. */
export function forgetAccountCounters(email: string): SQL {
  return sql`delete from ${rateLimits} where ${loginCountersOf(email)}`;
}

/**
 * WITH-list items (`with ${forgetFailuresFrom(...)}, next as (...)`) for the statement that records a
 * successful login: forget this address's failures at the account, and take their share back out of
 * the account's count (the rest stays: other addresses' guesses remain counted until the window ends,
 * or a distributed guesser would get a fresh allowance after each of the owner's logins). The address
 * row goes first, then the account's: the order every counting statement locks them in.
 */
export function forgetFailuresFrom(email: string, address: string): SQL {
  const free = config().rateLimit.loginFailuresFree;
  const account = accountCounterKey(email);
  return sql`rate_limit_address as (
      delete from ${rateLimits} where ${rateLimits.key} = ${addressCounterKey(email, address)}
      returning least(${r.hits}, ${free}) as share
    ), rate_limit_emptied as (
      delete from ${rateLimits}
      where ${rateLimits.key} = ${account} and ${r.hits} <= (select share from rate_limit_address)
      returning 1
    ), rate_limit_reduced as (
      update ${rateLimits} set ${r.hits} = greatest(${r.hits} - (select share from rate_limit_address), 0)
      where ${rateLimits.key} = ${account} and (select share from rate_limit_address) > 0
        and not exists (select from rate_limit_emptied)
    )`;
}

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
function pruneStale(settings: Config['rateLimit'], ownKeys: string[], after: SQL): SQL {
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
function countHit(key: string, { windowSeconds }: Limit): SQL {
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

/** min(LOGIN_BACKOFF_MAX, 2^(count - from)) seconds from now, once `count` reaches `from`. */
function backoffUntil(count: SQL, from: number): SQL {
  const { loginBackoffMax } = config().rateLimit;
  return sql`case when ${count} >= ${from}
    then now() + make_interval(secs => least(${loginBackoffMax}::float8, power(2, least(${count} - ${from}, 30))))
  end`;
}

/**
 * One statement before checking a password (login, password change). In order, each step reading
 * the one before, so that every statement locks the rows in the same order:
 *  1. the address's attempt (its fixed window); past its limit nothing else is written;
 *  2. the address's failures at this account, unless it is backing off (its row, serialised: a burst
 *     of parallel guesses from one address gets exactly its free attempts);
 *  3. within the free attempts: the account's count of them in its window, unless it is full;
 *     past them: the account's shared back-off, unless it is running.
 * Steps 2 and 3 are skipped when the account's row, as this statement first read it, already refuses:
 * no row is written for an account at its cap. Counting comes before the check: a right password
 * then forgets its address's failures (forgetFailuresFrom, in the statement that starts the session).
 * Throws rate_limited unless every step counted the attempt.
 */
export async function countPasswordAttempt(address: string, email: string): Promise<void> {
  const settings = config().rateLimit;
  if (!settings.enabled) return;
  const free = settings.loginFailuresFree;
  const { max: accountMax, windowSeconds: memory } = settings.loginAccountFailures;
  const keys = {
    address: `login:ip:${address}`,
    pair: addressCounterKey(email, address),
    account: accountCounterKey(email),
    backoff: sharedBackoffKey(email),
  };
  const forgotten = sql`r.${r.updatedAt} <= now() - make_interval(secs => ${memory})`;
  const failures = sql`(case when ${forgotten} then 1 else least(r.${r.hits} + 1, 1000) end)`;
  const windowOver = sql`r.${r.windowStartedAt} <= now() - make_interval(secs => ${memory})`;
  const { rows } = await getDb().execute<{
    address_hits: number;
    address_retry: number;
    counted: boolean;
    wait: number | null;
  }>(sql`
    with attempt as (${countHit(keys.address, settings.loginPerAddress)}),
    -- The account's rows as this statement found them (not locked): only to avoid writing for an
    -- attempt they refuse anyway, and for Retry-After. Steps 2 and 3 decide on the locked rows.
    account_then as (
      select r.${r.hits} >= ${accountMax} as at_cap,
        extract(epoch from r.${r.windowStartedAt} + make_interval(secs => ${memory}) - now())::float8 as wait
      from ${rateLimits} r where r.${r.key} = ${keys.account} and not ${windowOver}
    ),
    backoff_then as (
      select extract(epoch from r.${r.blockedUntil} - now())::float8 as wait
      from ${rateLimits} r where r.${r.key} = ${keys.backoff} and r.${r.blockedUntil} > now()
    ),
    pair_then as (
      select extract(epoch from r.${r.blockedUntil} - now())::float8 as wait
      from ${rateLimits} r where r.${r.key} = ${keys.pair} and r.${r.blockedUntil} > now()
    ),
    pair as (
      insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.blockedUntil}, ${r.updatedAt})
      select ${keys.pair}, 1, now(), ${backoffUntil(sql`1`, free)}, now() from attempt
      where attempt.hits <= ${settings.loginPerAddress.max} and not exists (select from account_then where at_cap)
      on conflict (${r.key}) do update set
        ${r.hits} = ${failures},
        ${r.blockedUntil} = ${backoffUntil(failures, free)},
        ${r.updatedAt} = now()
      where not coalesce(r.${r.blockedUntil} > now(), false)
        and not exists (select from account_then where at_cap)
        and (${failures} <= ${free} or not exists (select from backoff_then))
      returning r.${r.hits} as failures
    ),
    account as (
      insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.updatedAt})
      select ${keys.account}, 1, now(), now() from pair where pair.failures <= ${free}
      on conflict (${r.key}) do update set
        ${r.hits} = case when ${windowOver} then 1 else r.${r.hits} + 1 end,
        ${r.windowStartedAt} = case when ${windowOver} then now() else r.${r.windowStartedAt} end,
        ${r.updatedAt} = now()
      where ${windowOver} or r.${r.hits} < ${accountMax}
      returning 1
    ),
    backoff as (
      insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.blockedUntil}, ${r.updatedAt})
      select ${keys.backoff}, 1, now(), ${backoffUntil(sql`1`, 1)}, now() from pair where pair.failures > ${free}
      on conflict (${r.key}) do update set
        ${r.hits} = ${failures},
        ${r.blockedUntil} = ${backoffUntil(failures, 1)},
        ${r.updatedAt} = now()
      where not coalesce(r.${r.blockedUntil} > now(), false)
      returning 1
    ),
    counted as (select (exists (select from account) or exists (select from backoff)) as counted),
    ${pruneStale(settings, Object.values(keys), sql`counted`)}
    select attempt.hits as address_hits, attempt.retry_after as address_retry, counted.counted,
      greatest((select wait from account_then where at_cap), (select wait from backoff_then), (select wait from pair_then)) as wait
    from attempt, counted`);
  const row = rows[0]!;
  if (row.address_hits > settings.loginPerAddress.max) throw rateLimited(row.address_retry);
  // Refused by a row this statement saw only once it held it: the wait it read before may be shorter.
  if (!row.counted) throw rateLimited(row.wait ?? 1);
}

/** Keys of the per-account counters of the mail flows: reset requests by email (hashed), new verification messages by user. */
const forgotCounterKey = (email: string) => `forgot:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
const resendCounterKey = (userId: string) => `resend:user:${userId}`;

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

/** SQL condition on rate_limits: every row that counts something of this account (deleted with it). */
export function accountCountersOf(user: { id: string; email: string }): SQL {
  return sql`(${loginCountersOf(user.email)} or ${rateLimits.key} in (${forgotCounterKey(user.email)}, ${resendCounterKey(user.id)}))`;
}
