import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { config, type Config, type Limit } from '../../config';
import { getDb } from '../../db';
import { knownClients, rateLimits, users } from '../../db/schema';
import { networkOf } from '../../http/client-address';
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
 *   For these, an address is its source: an IPv6 /56 (a home network's 256 /64s are one source).
 *   - a known client (a device token of the account, or an address it logged in from in the last 30
 *     days: lib/auth/store/known-clients.ts) is counted apart: LOGIN_FAILURES_BEFORE_BACKOFF free, then its
 *     own back-off, and never held back by, nor counted in, the account's cap or shared back-off.
 *
 * Rows no request needs any more (untouched for longer than the longest window) are deleted by the
 * counting statements themselves, a few at a time. And the table has a bound, RATE_LIMIT_MAX_ROWS,
 * however many addresses an attacker has: past half of it, a client address without a row of its own
 * counts in its network (IPv6 /48, IPv4 /24); past all of it, every new key counts in one shared
 * overflow key per limit (chosenKey). Only known clients' rows are exempt (at most one per known
 * device or address of an account that failed within the window).
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
 * A counter's key, and where it counts once the table is full (RATE_LIMIT_MAX_ROWS): `network` for a
 * key of a client address (its IPv6 /48 or IPv4 /24), `overflow` a key shared by every client of
 * that limit. A known client's key is exempt: `overflow` is the key itself.
 */
type Key = { own: string; network?: string; overflow: string };

const exempt = (own: string): Key => ({ own, overflow: own });

/** The key of a client address's counter for one limit. */
function addressKey(prefix: string, address: string): Key {
  return { own: `${prefix}:ip:${address}`, network: `${prefix}:ip:${networkOf(address, 48, 24)}`, overflow: `${prefix}:ip:overflow` };
}

/**
 * For the WITH list of a counting statement: `table_fill` (rows in the table, counted up to
 * RATE_LIMIT_MAX_ROWS, read only when a key has no row yet) and `keys` (k0, k1, ...: the key each
 * counter uses now). A key with a row keeps it; a new key is its own below half the bound, its network's
 * below the bound, the shared overflow key past it.
 */
function chooseKeys(keys: Key[]): SQL {
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
const k = (i: number) => sql`(select ${sql.identifier(`k${i}`)} from keys)`;

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

/** The key of one client address's failures at one account (for an unknown client: its source, sourceOf). */
export function addressCounterKey(email: string, address: string): string {
  return `${accountCountersPrefix(email)}ip:${address}`;
}

/** The source an unknown client's failures count under for the account's cap: IPv6 by /56, IPv4 as it is. */
export const sourceOf = (address: string) => networkOf(address, 56);

/** A client the account knows (lib/auth/store/known-clients.ts): a device (by its token's hash) or the address it logged in from. */
export type KnownClient = { device: string } | 'address';

/** The key of one client's failures at one account: a known device's, a known address's, or an unknown source's. */
function clientCounterKey(email: string, address: string, known: KnownClient | undefined): string {
  if (known === undefined) return addressCounterKey(email, sourceOf(address));
  return known === 'address' ? addressCounterKey(email, address) : `${accountCountersPrefix(email)}device:${known.device}`;
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
function pruneStale(settings: Config['rateLimit'], ownKeys: SQL[], after: SQL): SQL {
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
function countHit(key: SQL, { windowSeconds }: Limit, when: SQL = sql`true`): SQL {
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

const emailHash = (email: string) => createHash('sha256').update(email.toLowerCase()).digest('hex');

/** Keys of the per-email counters of the mail flows (the email hashed: no address at rest). */
const forgotCounterKey = (email: string) => `forgot:account:${emailHash(email)}`;
const resendCounterKey = (email: string) => `resend:email:${emailHash(email)}`;
const signupNoticeKey = (email: string) => `signup-notice:${emailHash(email)}`;

/** "Someone tried to sign up with your email" notices per recipient (EMAIL_VERIFICATION=required). */
export const SIGNUP_NOTICES: Limit = { max: 3, windowSeconds: 3600 };

/**
 * One statement: counts a message that would go to one email (a new verification link, a sign-up
 * notice) and says whether it is within the limit. The caller chooses what "past it" means: a
 * request that reveals nothing still answers 202 and sends nothing.
 */
export async function countAccountMail(
  action: 'resend' | 'signup-notice',
  email: string,
): Promise<{ allowed: true } | { allowed: false; retryAfter: number }> {
  const settings = config().rateLimit;
  if (!settings.enabled) return { allowed: true };
  const [key, limit] =
    action === 'resend'
      ? [{ own: resendCounterKey(email), overflow: 'resend:email:overflow' }, settings.resendPerUser]
      : [{ own: signupNoticeKey(email), overflow: 'signup-notice:overflow' }, SIGNUP_NOTICES];
  const { rows } = await getDb().execute<{ hits: number; retry_after: number }>(sql`
    with ${chooseKeys([key])},
    attempt as (${countHit(k(0), limit)}),
    ${pruneStale(settings, [k(0)], sql`attempt`)}
    select hits, retry_after from attempt`);
  const row = rows[0]!;
  return row.hits > limit.max ? { allowed: false, retryAfter: row.retry_after } : { allowed: true };
}

/**
 * One statement: whether a reset link may go to this email now, asked from this address. Counted per
 * email and source (RATE_LIMIT_FORGOT_EMAIL: an IPv4 address, an IPv6 /56), and, from an address the
 * account has not logged in from in the last 30 days, against the email's ceiling
 * (RATE_LIMIT_FORGOT_EMAIL_TOTAL): an attacker spending the ceiling from many addresses never spends
 * the allowance of the owner's own address. Unknown emails are counted alike.
 */
export async function countResetMail(email: string, address: string): Promise<boolean> {
  const settings = config().rateLimit;
  if (!settings.enabled) return true;
  const source = sourceOf(address);
  const keys: Key[] = [
    { own: `${forgotCounterKey(email)}:ip:${source}`, network: `${forgotCounterKey(email)}:ip:${networkOf(address, 48, 24)}`, overflow: 'forgot:account:overflow:ip:overflow' },
    { own: forgotCounterKey(email), overflow: 'forgot:account:overflow' },
  ];
  const { rows } = await getDb().execute<{ allowed: boolean }>(sql`
    with ${chooseKeys(keys)},
    known as (
      select from ${knownClients} join ${users} on ${users.id} = ${knownClients.userId}
      where lower(${users.email}) = ${email.toLowerCase()} and ${knownClients.client} = ${knownAddressClient(address)} and ${knownClients.expiresAt} > now()
    ),
    pair as (${countHit(k(0), settings.forgotPerEmail)}),
    total as (${countHit(k(1), settings.forgotPerEmailTotal, sql`not exists (select from known) and (select hits from pair) <= ${settings.forgotPerEmail.max}`)}),
    ${pruneStale(settings, [k(0), k(1)], sql`total`)}
    select (pair.hits <= ${settings.forgotPerEmail.max}
      and (exists (select from known) or coalesce((select hits from total), 0) <= ${settings.forgotPerEmailTotal.max})) as allowed
    from pair`);
  return rows[0]!.allowed;
}

/** known_clients.client of an address bucket (lib/auth/store/known-clients.ts writes them). */
export const knownAddressClient = (address: string) => `address:${address}`;

/** SQL condition on rate_limits: every row that counts something of this account (deleted with it). */
export function accountCountersOf(user: { id: string; email: string }): SQL {
  return sql`(${loginCountersOf(user.email)} or ${rateLimits.key} in (${forgotCounterKey(user.email)}, ${resendCounterKey(user.email)}, ${signupNoticeKey(user.email)})
    or ${rateLimits.key} like ${`${forgotCounterKey(user.email)}:%`})`;
}
