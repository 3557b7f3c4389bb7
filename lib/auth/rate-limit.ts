import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { getDb } from '../db';
import { ConfigError, type Env } from '../db/url';
import { HttpError } from '../http/errors';
import { parseDuration } from './config';

/**
 * Rate limits whose state lives in PostgreSQL (table rate_limits), so that they hold across every
 * server instance, serverless ones included. Each check is one statement (an upsert ... returning).
 *
 * - per client address: login attempts, registrations, refreshes (fixed windows);
 * - per account (email): failed logins, with a back-off that grows with each failure past the first
 *   few and is capped, so that an attacker can slow a victim's logins but never lock them out for good.
 *   A successful login clears it. Unknown emails are counted alike, so limits reveal no accounts.
 */

export type Limit = { max: number; windowSeconds: number };
export type RateLimitConfig = {
  enabled: boolean;
  loginPerAddress: Limit;
  registerPerAddress: Limit;
  refreshPerAddress: Limit;
  /** Failed logins of one account allowed before back-off starts. */
  loginFailuresFree: number;
  /** The back-off's cap; it starts at 1 s and doubles with each further failure. */
  loginBackoffMax: number;
};

/** Failures of an account older than this are forgotten. */
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

/**
 * One statement before a login: counts the attempt from this address and reads the account's
 * back-off. Throws 429 when either says wait. Returns the account's recent failures.
 */
export async function checkLogin(address: string, email: string): Promise<{ failures: number }> {
  const config = rateLimitConfig();
  if (!config.enabled) return { failures: 0 };
  const { rows } = await getDb().execute<{ hits: number; retry_after: number; failures: number | null; blocked_for: number | null }>(sql`
    with attempt as (${countHit(`login:ip:${address}`, config.loginPerAddress)})
    select attempt.hits, attempt.retry_after, account.hits as failures,
           extract(epoch from account.blocked_until - now())::float8 as blocked_for
    from attempt
    left join rate_limits account
      on account.key = ${accountKey(email)}
      and account.updated_at > now() - make_interval(secs => ${FAILURE_MEMORY_SECONDS})`);
  const row = rows[0]!;
  if (row.hits > config.loginPerAddress.max) throw tooManyRequests(row.retry_after);
  if (row.blocked_for !== null && row.blocked_for > 0) throw tooManyRequests(row.blocked_for);
  return { failures: row.failures ?? 0 };
}

/** One statement after a failed login: one more failure, and the back-off it earns. */
export async function recordLoginFailure(email: string): Promise<void> {
  const config = rateLimitConfig();
  if (!config.enabled) return;
  const failures = sql`(case when r.updated_at <= now() - make_interval(secs => ${FAILURE_MEMORY_SECONDS}) then 1 else r.hits + 1 end)`;
  const backoff = (count: ReturnType<typeof sql>) => sql`
    case when ${count} >= ${config.loginFailuresFree}
      then now() + make_interval(secs => least(${config.loginBackoffMax}::float8, power(2, ${count} - ${config.loginFailuresFree})))
    end`;
  await getDb().execute(sql`
    insert into rate_limits as r (key, hits, window_started_at, blocked_until, updated_at)
    values (${accountKey(email)}, 1, now(), ${backoff(sql`1`)}, now())
    on conflict (key) do update set
      hits = ${failures},
      blocked_until = ${backoff(failures)},
      updated_at = now()`);
}

/** After a successful login: the account's failures are forgotten. */
export async function clearLoginFailures(email: string): Promise<void> {
  if (!rateLimitConfig().enabled) return;
  await getDb().execute(sql`delete from rate_limits where key = ${accountKey(email)}`);
}
