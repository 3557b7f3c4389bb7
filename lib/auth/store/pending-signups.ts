import { sql } from 'drizzle-orm';
import { getDb } from '../../db';
import { pendingSignups, sessions, users } from '../../db/schema';
import { hashLinkToken, linkLifetime, newLinkToken } from './account-tokens';
import type { Account } from './users';

/**
 * EMAIL_VERIFICATION=required: sign-ups wait here until their own link is followed (table
 * pending_signups), so that no one can prepare an account for an email they do not read.
 *
 * - A sign-up stores its email, password hash and link; a newer sign-up of the same email replaces it
 *   (its link stops working). No account is created or changed.
 * - Following the link creates the account with that sign-up's password, verified; for an existing
 *   account whose email was never verified, it sets that password (and ends its sessions). A verified
 *   account is never changed by a sign-up: its sign-ups are stored without a link (so that logging in
 *   with their password answers as for a new email) and its owner gets a notice instead.
 * - At most one row per email, kept EMAIL_VERIFICATION_TTL.
 */

const p = {
  email: sql.identifier(pendingSignups.email.name),
  tokenHash: sql.identifier(pendingSignups.tokenHash.name),
  hashedPassword: sql.identifier(pendingSignups.hashedPassword.name),
  createdAt: sql.identifier(pendingSignups.createdAt.name),
  expiresAt: sql.identifier(pendingSignups.expiresAt.name),
};

/**
 * One statement: stores the sign-up (replacing an older one of this email) and says whether the email
 * belongs to a verified account. Its link token is stored only when it does not; returns the token then.
 * The same statement whether or not an account exists.
 */
export async function storePendingSignup(email: string, hashedPassword: string): Promise<{ verifiedAccount: boolean; token?: string }> {
  const token = newLinkToken();
  const { rows } = await getDb().execute<{ verified_account: boolean }>(sql`
    with owner as (
      select exists (select from ${users} where lower(${users.email}) = ${email} and ${users.emailVerifiedAt} is not null) as verified
    ), stored as (
      insert into ${pendingSignups} (${p.email}, ${p.tokenHash}, ${p.hashedPassword}, ${p.expiresAt})
      select ${email}, case when owner.verified then null else ${hashLinkToken(token)} end, ${hashedPassword},
        now() + make_interval(secs => ${linkLifetime('email_verification')})
      from owner
      on conflict (${p.email}) do update set ${p.tokenHash} = excluded.${p.tokenHash},
        ${p.hashedPassword} = excluded.${p.hashedPassword}, ${p.createdAt} = now(), ${p.expiresAt} = excluded.${p.expiresAt}
    )
    select verified as verified_account from owner`);
  const verifiedAccount = rows[0]!.verified_account;
  return verifiedAccount ? { verifiedAccount } : { verifiedAccount, token };
}

/**
 * One statement: a new link for the live pending sign-up of this email (the older link stops
 * working; the password stays the one that sign-up chose). Returns the token, or undefined when there
 * is none to send (no pending sign-up, or one of a verified account).
 */
export async function renewPendingLink(email: string): Promise<string | undefined> {
  const token = newLinkToken();
  const { rows } = await getDb().execute(sql`
    update ${pendingSignups} set ${p.tokenHash} = ${hashLinkToken(token)},
      ${p.expiresAt} = now() + make_interval(secs => ${linkLifetime('email_verification')})
    where ${pendingSignups.email} = ${email} and ${pendingSignups.tokenHash} is not null and ${pendingSignups.expiresAt} > now()
    returning 1`);
  return rows.length === 1 ? token : undefined;
}

type Row = { id: string; email: string; totp_secret: string | null; is_active: boolean; email_verified_at: string | Date | null; created_at: string | Date; replaced: boolean };

/**
 * Follows a pending sign-up's link, in one statement: the sign-up is spent (deleted: of two requests
 * with one link, one gets it) and the account created, verified, with its password; an existing
 * unverified account gets that password and is verified, and its sessions end (in this mode it could
 * not log in, so no login races this). Undefined when the link is not live, or the email has become a
 * verified account's meanwhile (nothing changes then).
 */
export async function confirmPendingSignup(token: string): Promise<Account | undefined> {
  const { rows } = await getDb().execute<Row>(sql`
    with spent as (
      delete from ${pendingSignups}
      where ${pendingSignups.tokenHash} = ${hashLinkToken(token)} and ${pendingSignups.expiresAt} > now()
      returning ${p.email} as email, ${p.hashedPassword} as hashed_password
    ), account as (
      insert into ${users} (${sql.identifier(users.email.name)}, ${sql.identifier(users.hashedPassword.name)}, ${sql.identifier(users.emailVerifiedAt.name)})
      select email, hashed_password, now() from spent
      on conflict (lower(${sql.identifier(users.email.name)})) do update set
        ${sql.identifier(users.hashedPassword.name)} = excluded.${sql.identifier(users.hashedPassword.name)},
        ${sql.identifier(users.emailVerifiedAt.name)} = now()
      where ${users.emailVerifiedAt} is null
      returning ${users.id} as id, ${users.email} as email, ${users.totpSecret} as totp_secret, ${users.isActive} as is_active,
        ${users.emailVerifiedAt} as email_verified_at, ${users.createdAt} as created_at, (xmax <> 0) as replaced
    ), ended as (
      update ${sessions} set ${sql.identifier(sessions.revokedAt.name)} = now()
      where ${sessions.userId} in (select id from account where replaced) and ${sessions.revokedAt} is null
    )
    select * from account`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    email: row.email,
    isActive: row.is_active,
    emailVerifiedAt: row.email_verified_at === null ? null : new Date(row.email_verified_at),
    createdAt: new Date(row.created_at),
    twoFactorEnabled: row.totp_secret !== null,
  };
}
