import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { config, type Limit } from '../config';
import { getDb } from '../db';
import { rateLimits } from '../db/schema';
import { rateLimited } from './errors';

/**
 * Rate limits whose state lives in PostgreSQL (table rate_limits), so that they hold across every
 * server instance, serverless ones included. Each check is one statement (an upsert ... returning).
 *
 * - per client address: login attempts, registrations, refreshes (fixed windows);
 * - per account (email): password attempts (login, password change), with a back-off that grows with
 *   each one past the first few and is capped, so that an attacker can slow a victim's logins but never
 *   lock them out for good. A right password clears it. Unknown emails are counted alike, so limits
 *   reveal no accounts.
 */

/** Attempts at an account older than this are forgotten. */
const FAILURE_MEMORY_SECONDS = 3600;

// Column names for the raw statements below, from the schema (a renamed column breaks the type check).
const r = {
  key: sql.identifier(rateLimits.key.name),
  hits: sql.identifier(rateLimits.hits.name),
  windowStartedAt: sql.identifier(rateLimits.windowStartedAt.name),
  blockedUntil: sql.identifier(rateLimits.blockedUntil.name),
  updatedAt: sql.identifier(rateLimits.updatedAt.name),
};

/** The key under which an account's password attempts are counted (the email is hashed: no address at rest). */
export function accountCounterKey(email: string): string {
  return `login:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
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
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(countHit(`${action}:ip:${address}`, limit));
  const row = rows[0]!;
  if (row.hits > limit.max) throw rateLimited(row.retry_after);
}

/** min(LOGIN_BACKOFF_MAX, 2^(failures - free)) seconds from now, once `failures` reaches the free allowance. */
function backoffUntil(failures: SQL): SQL {
  const { loginFailuresFree, loginBackoffMax } = config().rateLimit;
  return sql`case when ${failures} >= ${loginFailuresFree}
    then now() + make_interval(secs => least(${loginBackoffMax}::float8,
      power(2, least(${failures} - ${loginFailuresFree}, 30))))
  end`;
}

/**
 * One statement before checking a password (login, password change): counts the attempt from this
 * address, and counts it against the account too, before the password is checked. Counting first is
 * what makes the back-off hold under concurrency: a burst of parallel guesses is serialised on the
 * account's row, and every guess past the free allowance finds the account blocked. A right password
 * then forgets the count (in the statement that records the success: lib/auth/login.ts).
 * Throws rate_limited while either limit says wait; an attempt made while blocked is not counted.
 */
export async function countPasswordAttempt(address: string, email: string): Promise<void> {
  const settings = config().rateLimit;
  if (!settings.enabled) return;
  const blocked = sql`r.${r.blockedUntil} > now()`;
  const failures = sql`(case when r.${r.updatedAt} <= now() - make_interval(secs => ${FAILURE_MEMORY_SECONDS}) then 1
    else least(r.${r.hits} + 1, 1000) end)`;
  const { rows } = await getDb().execute<{ hits: number; retry_after: number; counted: boolean; blocked_for: number | null }>(sql`
    with attempt as (${countHit(`login:ip:${address}`, settings.loginPerAddress)}),
    account as (
      insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.blockedUntil}, ${r.updatedAt})
      values (${accountCounterKey(email)}, 1, now(), ${backoffUntil(sql`1`)}, now())
      on conflict (${r.key}) do update set
        ${r.hits} = case when ${blocked} then r.${r.hits} else ${failures} end,
        ${r.blockedUntil} = case when ${blocked} then r.${r.blockedUntil} else ${backoffUntil(failures)} end,
        ${r.updatedAt} = case when ${blocked} then r.${r.updatedAt} else now() end
      returning r.${r.updatedAt} = now() as counted, extract(epoch from r.${r.blockedUntil} - now())::float8 as blocked_for
    )
    select attempt.hits, attempt.retry_after, account.counted, account.blocked_for from attempt, account`);
  const row = rows[0]!;
  if (row.hits > settings.loginPerAddress.max) throw rateLimited(row.retry_after);
  if (!row.counted) throw rateLimited(row.blocked_for ?? 1);
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
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(countHit(key, limit));
  const row = rows[0]!;
  return row.hits > limit.max ? { allowed: false, retryAfter: row.retry_after } : { allowed: true };
}

/** SQL condition on rate_limits: the rows of an account's counted login attempts (a new password forgets them). */
export function loginCountersOf(email: string): SQL {
  return sql`${rateLimits.key} = ${accountCounterKey(email)}`;
}

/** SQL condition on rate_limits: every row that counts something of this account (deleted with it). */
export function accountCountersOf(user: { id: string; email: string }): SQL {
  return sql`(${loginCountersOf(user.email)} or ${rateLimits.key} in (${forgotCounterKey(user.email)}, ${resendCounterKey(user.id)}))`;
}
