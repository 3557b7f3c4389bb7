import { createHash, randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { knownClients } from '../../db/schema';
import { knownAddressClient, type KnownClient } from '../limits/counters';

/**
 * Clients an account knows (OWASP's "device cookies", for an API): a login from one is never held back
 * by the account-wide cap on failed logins, only by a back-off of its own (lib/auth/limits/password-backoff.ts),
 * so that guesses from a handful of addresses cannot lock the owner out.
 *
 * - A device: every successful login (and completed reset) answers a `device_token`, 256 random bits
 *   bound to the account; only its SHA-256 is stored. The client sends it with later logins. One token
 *   per device, not rotated: it grants no access (the password is still checked), only its own
 *   back-off lane, so a stolen one is worth one more address to a thief, and rotating it would cost a
 *   client that lost an answer its lane. It lives DEVICE_DAYS after its last successful login.
 * - An address (its bucket: IPv4, or IPv6 /64) the account logged in from in the last ADDRESS_DAYS.
 *
 * At most KEPT_PER_ACCOUNT per account (the least recently used go first); all go with the account.
 */
export const DEVICE_DAYS = 60;
export const ADDRESS_DAYS = 30;
const KEPT_PER_ACCOUNT = 20;

const DEVICE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const deviceClient = (hash: string) => `device:${hash}`;

const k = {
  userId: sql.identifier(knownClients.userId.name),
  client: sql.identifier(knownClients.client.name),
  lastUsedAt: sql.identifier(knownClients.lastUsedAt.name),
  expiresAt: sql.identifier(knownClients.expiresAt.name),
};

/** SQL: whether the user (a column or value) knows this client: true/false columns `known_device` and `known_address`. */
export function knownClientColumns(userId: SQL, address: string, deviceToken: string | undefined): SQL {
  const live = (client: string) => sql`exists (select from ${knownClients}
    where ${knownClients.userId} = ${userId} and ${knownClients.client} = ${client} and ${knownClients.expiresAt} > now())`;
  const device = deviceToken && DEVICE_TOKEN.test(deviceToken) ? live(deviceClient(hashDeviceToken(deviceToken))) : sql`false`;
  return sql`${device} as known_device, ${live(knownAddressClient(address))} as known_address`;
}

/** The client for the limits, from knownClientColumns' answers. */
export function knownClientOf(row: { known_device: boolean; known_address: boolean }, deviceToken: string | undefined): KnownClient | undefined {
  if (row.known_device && deviceToken) return { device: hashDeviceToken(deviceToken) };
  return row.known_address ? 'address' : undefined;
}

/** The device token a successful login answers: a known device keeps its own; any other client gets a new one. */
export function deviceTokenAfterLogin(known: KnownClient | undefined, deviceToken: string | undefined): string {
  return known !== undefined && known !== 'address' ? deviceToken! : newDeviceToken();
}

/**
 * WITH-list items for the statement that records a successful login or reset of the users `userIds`
 * yields: this device and this address remembered (their lifetimes renewed), and the account's
 * expired or least recently used known clients beyond KEPT_PER_ACCOUNT forgotten. Without a device
 * token, only the address.
 */
export function rememberClient(userIds: SQL, deviceToken: string | undefined, address: string): SQL {
  const here = knownAddressClient(address);
  // No device token (a login finished by its second factor): the address alone.
  const device = deviceToken ? deviceClient(hashDeviceToken(deviceToken)) : here;
  return sql`known_remembered as (
      insert into ${knownClients} (${k.userId}, ${k.client}, ${k.lastUsedAt}, ${k.expiresAt})
      select target.id, c.client, now(), now() + make_interval(days => c.days)
      from (${userIds}) as target, (values (${device}::text, ${DEVICE_DAYS}::int), (${here}::text, ${ADDRESS_DAYS}::int)) as c(client, days)
      where c.client <> ${here} or c.days = ${ADDRESS_DAYS}
      on conflict (${k.userId}, ${k.client}) do update set ${k.lastUsedAt} = now(), ${k.expiresAt} = excluded.${k.expiresAt}
    ), known_forgotten as (
      delete from ${knownClients} as old
      where old.${k.userId} in (${userIds}) and old.${k.client} not in (${device}, ${here})
        and (old.${k.expiresAt} <= now() or old.${k.client} in (
          select kept.${k.client} from ${knownClients} as kept where kept.${k.userId} = old.${k.userId}
          order by kept.${k.lastUsedAt} desc offset ${KEPT_PER_ACCOUNT - 2}))
    )`;
}
