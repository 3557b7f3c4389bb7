import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
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

/** The key of one client address's failures at one account (for an unknown client: its source, sourceOf). */
export function addressCounterKey(email: string, address: string): string {
  return `${accountCountersPrefix(email)}ip:${address}`;
}

/**
 * The network a client address bucket (lib/http/client-address.ts) belongs to, for limits that must
 * count a whole network as one source: IPv6
 * by the first `ipv6Bits` (a multiple of 8, at most 64; /56 is a home network's usual delegation,
 * /48 a site's), IPv4 by its first `ipv4Bits` (8, 16, 24 or 32). "unknown" stays as it is.
 */
export function networkOf(bucket: string, ipv6Bits: 48 | 56 | 64, ipv4Bits: 16 | 24 | 32 = 32): string {
  const ipv6 = /^([0-9a-f]+):([0-9a-f]+):([0-9a-f]+):([0-9a-f]+)::\/64$/.exec(bucket);
  if (ipv6) {
    const fourth = ipv6Bits === 64 ? ipv6[4]! : ipv6Bits === 56 ? (parseInt(ipv6[4]!, 16) & 0xff00).toString(16) : '';
    return ipv6Bits === 48 ? `${ipv6.slice(1, 4).join(':')}::/48` : `${ipv6.slice(1, 4).join(':')}:${fourth}::/${ipv6Bits}`;
  }
  if (ipv4Bits === 32 || !isIP(bucket)) return bucket;
  const octets = bucket.split('.');
  return `${octets.slice(0, ipv4Bits / 8).concat(Array(4 - ipv4Bits / 8).fill('0')).join('.')}/${ipv4Bits}`;
}

/** The source an unknown client's failures count under for the account's cap: IPv6 by /56, IPv4 as it is. */
export const sourceOf = (address: string) => networkOf(address, 56);

/** A client the account knows (lib/auth/store/known-clients.ts): a device (by its token's hash) or the address it logged in from. */
export type KnownClient = { device: string } | 'address';

/** The key of one client's failures at one account: a known device's, a known address's, or an unknown source's. */
export function clientCounterKey(email: string, address: string, known: KnownClient | undefined): string {
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

const emailHash = (email: string) => createHash('sha256').update(email.toLowerCase()).digest('hex');

/** Keys of the per-email counters of the mail flows (the email hashed: no address at rest). */
export const forgotCounterKey = (email: string) => `forgot:account:${emailHash(email)}`;
export const resendCounterKey = (email: string) => `resend:email:${emailHash(email)}`;
export const signupNoticeKey = (email: string) => `signup-notice:${emailHash(email)}`;

/** known_clients.client of an address bucket (lib/auth/store/known-clients.ts writes them). */
export const knownAddressClient = (address: string) => `address:${address}`;

/** SQL condition on rate_limits: every row that counts something of this account (deleted with it). */
export function accountCountersOf(user: { id: string; email: string }): SQL {
  return sql`(${loginCountersOf(user.email)} or ${rateLimits.key} in (${forgotCounterKey(user.email)}, ${resendCounterKey(user.email)}, ${signupNoticeKey(user.email)})
    or ${rateLimits.key} like ${`${forgotCounterKey(user.email)}:%`})`;
}
