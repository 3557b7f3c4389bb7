import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { getDb } from '../db';
import { ConfigError, type Env } from '../db/url';
import { HttpError } from '../http/errors';
import { parseDuration } from './config';

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

export type Limit = { max: number; windowSeconds: number };
export type RateLimitConfig = {
  enabled: boolean;
  loginPerAddress: Limit;
  registerPerAddress: Limit;
  refreshPerAddress: Limit;
  /** Password attempts at one account allowed before back-off starts (a right password resets the count). */
  loginFailuresFree: number;
  /** The back-off's cap; it starts at 1 s and doubles with each further attempt. */
  loginBackoffMax: number;
};

/** Attempts at an account older than this are forgotten. */
const FAILURE_MEMORY_SECONDS = 3600;

function parseLimit(value: string, name: string): Limit {
  const [max, window] = value.split('/');
  const count = Number(max);
  if (!Number.isInteger(count) || count < 1 || !window) {
    throw new ConfigError(`${name} must look like 30/1m (30 requests per minute); got "${value}".`);
  }
  return { max: count, windowSeconds: parseDuration(window, name) };
}

export function readRateLimitConfig(env: Env = process.env): RateLimitConfig {
  const free = Number(env.LOGIN_FAILURES_BEFORE_BACKOFF ?? 5);
  if (!Number.isInteger(free) || free < 1) throw new ConfigError('LOGIN_FAILURES_BEFORE_BACKOFF must be a whole number, 1 or more.');
  return {
    enabled: env.RATE_LIMIT?.trim().toLowerCase() !== 'off',
    loginPerAddress: parseLimit(env.RATE_LIMIT_LOGIN ?? '30/1m', 'RATE_LIMIT_LOGIN'),
    registerPerAddress: parseLimit(env.RATE_LIMIT_REGISTER ?? '20/1h', 'RATE_LIMIT_REGISTER'),
    refreshPerAddress: parseLimit(env.RATE_LIMIT_REFRESH ?? '60/1m', 'RATE_LIMIT_REFRESH'),
    loginFailuresFree: free,
    loginBackoffMax: parseDuration(env.LOGIN_BACKOFF_MAX ?? '15m', 'LOGIN_BACKOFF_MAX'),
  };
}

let cached: RateLimitConfig | undefined;
export function rateLimitConfig(): RateLimitConfig {
  return (cached ??= readRateLimitConfig());
}

export function tooManyRequests(retryAfter: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfter));
  return new HttpError(429, 'rate_limited', `Too many attempts. Try again in ${seconds} seconds.`, {
    'Retry-After': String(seconds),
  });
}

const accountKey = (email: string) => `login:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;

/** The upsert that counts one hit in a fixed window and returns the count and the window's end. */
function countHit(key: string, { windowSeconds }: Limit) {
  const expired = sql`r.window_started_at <= now() - make_interval(secs => ${windowSeconds})`;
  return sql`
    insert into rate_limits as r (key, hits, window_started_at, updated_at) values (${key}, 1, now(), now())
    on conflict (key) do update set
      hits = case when ${expired} then 1 else r.hits + 1 end,
      window_started_at = case when ${expired} then now() else r.window_started_at end,
      updated_at = now()
    returning r.hits, extract(epoch from r.window_started_at + make_interval(secs => ${windowSeconds}) - now())::float8 as retry_after`;
}

/** One statement: counts a request from this address; 429 past the limit. */
export async function limitByAddress(action: 'register' | 'refresh', address: string): Promise<void> {
  const config = rateLimitConfig();
  if (!config.enabled) return;
  const limit = action === 'register' ? config.registerPerAddress : config.refreshPerAddress;
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(countHit(`${action}:ip:${address}`, limit));
  const row = rows[0]!;
  if (row.hits > limit.max) throw tooManyRequests(row.retry_after);
}

/** min(LOGIN_BACKOFF_MAX, 2^(failures - free)) seconds from now, once `failures` reaches the free allowance. */
function backoffUntil(failures: SQL, config: RateLimitConfig): SQL {
  return sql`case when ${failures} >= ${config.loginFailuresFree}
    then now() + make_interval(secs => least(${config.loginBackoffMax}::float8,
      power(2, least(${failures} - ${config.loginFailuresFree}, 30))))
  end`;
}

/**
 * One statement before checking a password (login, password change): counts the attempt from this
 * address, and counts it against the account too, before the password is checked. Counting first is
 * what makes the back-off hold under concurrency: a burst of parallel guesses is serialised on the
 * account's row, and every guess past the free allowance finds the account blocked. A right password
 * then forgets the count (forgetLoginFailures, inside the statement that records the success).
 * Throws 429 while either limit says wait; an attempt made while blocked is not counted.
 */
export async function checkLogin(address: string, email: string): Promise<void> {
  const config = rateLimitConfig();
  if (!config.enabled) return;
  const blocked = sql`r.blocked_until > now()`;
  const failures = sql`(case when r.updated_at <= now() - make_interval(secs => ${FAILURE_MEMORY_SECONDS}) then 1
    else least(r.hits + 1, 1000) end)`;
  const { rows } = await getDb().execute<{ hits: number; retry_after: number; counted: boolean; blocked_for: number | null }>(sql`
    with attempt as (${countHit(`login:ip:${address}`, config.loginPerAddress)}),
    account as (
      insert into rate_limits as r (key, hits, window_started_at, blocked_until, updated_at)
      values (${accountKey(email)}, 1, now(), ${backoffUntil(sql`1`, config)}, now())
      on conflict (key) do update set
        hits = case when ${blocked} then r.hits else ${failures} end,
        blocked_until = case when ${blocked} then r.blocked_until else ${backoffUntil(failures, config)} end,
        updated_at = case when ${blocked} then r.updated_at else now() end
      returning r.updated_at = now() as counted, extract(epoch from r.blocked_until - now())::float8 as blocked_for
    )
    select attempt.hits, attempt.retry_after, account.counted, account.blocked_for from attempt, account`);
  const row = rows[0]!;
  if (row.hits > config.loginPerAddress.max) throw tooManyRequests(row.retry_after);
  if (!row.counted) throw tooManyRequests(row.blocked_for ?? 1);
}

/**
 * The SQL that forgets an account's counted attempts after a right password, for the caller to run
 * inside the statement that records the success (no extra round trip); undefined when limits are off.
 */
export function forgetLoginFailures(email: string): SQL | undefined {
  if (!rateLimitConfig().enabled) return undefined;
  return sql`delete from rate_limits where key = ${accountKey(email)}`;
}
