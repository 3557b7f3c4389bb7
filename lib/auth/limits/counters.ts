import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { rateLimits } from '../../db/schema';

/**
 * The rows of table rate_limits, by key: which counter each is and whose. The key names what is counted
 * and for whom (an email only as its SHA-256: no address at rest), so an account's rows can be found
 * and deleted with it.
 */

// Column names for the raw statements of lib/auth/limits, from the schema (a renamed column breaks the type check).
export const r = {
  key: sql.identifier(rateLimits.key.name),
  hits: sql.identifier(rateLimits.hits.name),
  windowStartedAt: sql.identifier(rateLimits.windowStartedAt.name),
  blockedUntil: sql.identifier(rateLimits.blockedUntil.name),
  updatedAt: sql.identifier(rateLimits.updatedAt.name),
};

/**
 * The key of an account's count of checked failures (the email is hashed: no address at rest). Its
 * other rows (one per client address, and the shared back-off) start with `accountCountersPrefix`.
 */
export function accountCounterKey(email: string): string {
  return `login:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
}

/** Every other counter of the account (per address, shared back-off) has a key starting with this. */
function accountCountersPrefix(email: string): string {
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

/** Keys of the per-account counters of the mail flows: reset requests by email (hashed), new verification messages by user. */
export const forgotCounterKey = (email: string) => `forgot:account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
export const resendCounterKey = (userId: string) => `resend:user:${userId}`;

/** SQL condition on rate_limits: every row that counts something of this account (deleted with it). */
export function accountCountersOf(user: { id: string; email: string }): SQL {
  return sql`(${loginCountersOf(user.email)} or ${rateLimits.key} in (${forgotCounterKey(user.email)}, ${resendCounterKey(user.id)}))`;
}
