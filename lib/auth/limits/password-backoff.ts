import { sql, type SQL } from 'drizzle-orm';
import { config } from '../../config';
import { getDb } from '../../db';
import { rateLimits } from '../../db/schema';
import { rateLimited } from '../errors';
import { accountCounterKey, addressCounterKey, clientCounterKey, type KnownClient, networkOf, r, sharedBackoffKey } from './counters';
import { addressKey, chooseKeys, countHit, exempt, k, pruneStale, type Key } from './window';

/**
 * The limits on password attempts (login, password change, the second factor), counted before the
 * password is checked, in one statement, with their state in PostgreSQL like every limit (window.ts):
 *   - per client address: the login window (RATE_LIMIT_LOGIN);
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
 *   For these, an address is its source: an IPv6 /56 (a home network's 256 /64s are one source).
 *   - a known client (a device token of the account, or an address it logged in from in the last 30
 *     days: lib/auth/store/known-clients.ts) is counted apart: LOGIN_FAILURES_BEFORE_BACKOFF free, then its
 *     own back-off, and never held back by, nor counted in, the account's cap or shared back-off.
 */

/**
 * WITH-list items (`with ${forgetFailuresFrom(...)}, next as (...)`) for the statement that records a
 * successful login: forget this address's failures at the account, and take their share back out of
 * the account's count (the rest stays: other addresses' guesses remain counted until the window ends,
 * or a distributed guesser would get a fresh allowance after each of the owner's logins). The address
 * row goes first, then the account's: the order every counting statement locks them in.
 */
export function forgetFailuresFrom(email: string, address: string, known?: KnownClient): SQL {
  const free = config().rateLimit.loginFailuresFree;
  const account = accountCounterKey(email);
  // A known client's failures were never part of the account's count: it has no share to take back.
  const share = known === undefined ? sql`least(${r.hits}, ${free})` : sql`0`;
  return sql`rate_limit_address as (
      delete from ${rateLimits} where ${rateLimits.key} = ${clientCounterKey(email, address, known)}
      returning ${share} as share
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
 *  2. the client's failures at this account, unless it is backing off (its row, serialised: a burst
 *     of parallel guesses from one client gets exactly its free attempts);
 *  3. an unknown client only: within the free attempts, the account's count of them in its window,
 *     unless it is full; past them, the account's shared back-off, unless it is running.
 * Steps 2 and 3 are skipped when the account's row, as this statement first read it, already refuses
 * an unknown client: no row is written for an account at its cap. Counting comes before the check: a
 * right password then forgets the client's failures (forgetFailuresFrom, in the statement that starts
 * the session). Throws rate_limited unless every step counted the attempt.
 */
export async function countPasswordAttempt(address: string, email: string, known?: KnownClient): Promise<void> {
  const settings = config().rateLimit;
  if (!settings.enabled) return;
  const free = settings.loginFailuresFree;
  const { max: accountMax, windowSeconds: memory } = settings.loginAccountFailures;
  const forgotten = sql`r.${r.updatedAt} <= now() - make_interval(secs => ${memory})`;
  const failures = sql`(case when ${forgotten} then 1 else least(r.${r.hits} + 1, 1000) end)`;
  const windowOver = sql`r.${r.windowStartedAt} <= now() - make_interval(secs => ${memory})`;
  const account = accountCounterKey(email);
  const ofAccount = (own: string, overflow: string): Key => ({ own, overflow });
  const keys: Key[] = [
    addressKey('login', address),
    known === undefined
      ? { own: clientCounterKey(email, address, known), network: addressCounterKey(email, networkOf(address, 48, 24)), overflow: 'login:account:overflow:ip:overflow' }
      : exempt(clientCounterKey(email, address, known)),
    ofAccount(account, 'login:account:overflow'),
    ofAccount(sharedBackoffKey(email), 'login:account:overflow:backoff'),
  ];
  const [addressK, pairK, accountK, backoffK] = [k(0), k(1), k(2), k(3)];
  // A known client is never held back by the account's rows: as if they were absent.
  const unknownOnly = known === undefined ? sql`true` : sql`false`;
  const { rows } = await getDb().execute<{
    address_hits: number;
    address_retry: number;
    counted: boolean;
    wait: number | null;
  }>(sql`
    with ${chooseKeys(keys)},
    attempt as (${countHit(addressK, settings.loginPerAddress)}),
    -- The account's rows as this statement found them (not locked): only to avoid writing for an
    -- attempt they refuse anyway, and for Retry-After. Steps 2 and 3 decide on the locked rows.
    account_then as (
      select r.${r.hits} >= ${accountMax} as at_cap,
        extract(epoch from r.${r.windowStartedAt} + make_interval(secs => ${memory}) - now())::float8 as wait
      from ${rateLimits} r where r.${r.key} = ${accountK} and not ${windowOver} and ${unknownOnly}
    ),
    backoff_then as (
      select extract(epoch from r.${r.blockedUntil} - now())::float8 as wait
      from ${rateLimits} r where r.${r.key} = ${backoffK} and r.${r.blockedUntil} > now() and ${unknownOnly}
    ),
    pair_then as (
      select extract(epoch from r.${r.blockedUntil} - now())::float8 as wait
      from ${rateLimits} r where r.${r.key} = ${pairK} and r.${r.blockedUntil} > now()
    ),
    pair as (
      insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.blockedUntil}, ${r.updatedAt})
      select ${pairK}, 1, now(), ${backoffUntil(sql`1`, free)}, now() from attempt
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
      select ${accountK}, 1, now(), now() from pair where pair.failures <= ${free} and ${unknownOnly}
      on conflict (${r.key}) do update set
        ${r.hits} = case when ${windowOver} then 1 else r.${r.hits} + 1 end,
        ${r.windowStartedAt} = case when ${windowOver} then now() else r.${r.windowStartedAt} end,
        ${r.updatedAt} = now()
      where ${windowOver} or r.${r.hits} < ${accountMax}
      returning 1
    ),
    backoff as (
      insert into ${rateLimits} as r (${r.key}, ${r.hits}, ${r.windowStartedAt}, ${r.blockedUntil}, ${r.updatedAt})
      select ${backoffK}, 1, now(), ${backoffUntil(sql`1`, 1)}, now() from pair where pair.failures > ${free} and ${unknownOnly}
      on conflict (${r.key}) do update set
        ${r.hits} = ${failures},
        ${r.blockedUntil} = ${backoffUntil(failures, 1)},
        ${r.updatedAt} = now()
      where not coalesce(r.${r.blockedUntil} > now(), false)
      returning 1
    ),
    counted as (select (exists (select from account) or exists (select from backoff)
      or (not ${unknownOnly} and exists (select from pair))) as counted),
    ${pruneStale(settings, [addressK, pairK, accountK, backoffK], sql`counted`)}
    select attempt.hits as address_hits, attempt.retry_after as address_retry, counted.counted,
      greatest((select wait from account_then where at_cap), (select wait from backoff_then), (select wait from pair_then)) as wait
    from attempt, counted`);
  const row = rows[0]!;
  if (row.address_hits > settings.loginPerAddress.max) throw rateLimited(row.address_retry);
  // Refused by a row this statement saw only once it held it: the wait it read before may be shorter.
  if (!row.counted) throw rateLimited(row.wait ?? 1);
}
