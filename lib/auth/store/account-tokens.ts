import { createHash, randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { config } from '../../config';
import { getDb } from '../../db';
import { readWithRetry } from '../../db/read-retry';
import { accountTokens, users } from '../../db/schema';

/**
 * The single-use tokens sent in links by email (table account_tokens): password reset and email
 * verification. A token is 256 random bits, base64url (43 characters); only its SHA-256 is stored, so
 * the table alone opens nothing. A token works once, until it expires, and only while it is the
 * newest of its purpose for its account: issuing one marks the older ones used in the same statement.
 */
export type TokenPurpose = (typeof accountTokens.purpose.enumValues)[number];

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form of a token: SHA-256, hex. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** False for anything newLinkToken() cannot have made: refused without a database round trip. */
export function isWellFormedLinkToken(token: string): boolean {
  return LINK_TOKEN.test(token);
}

/** Seconds a link of this purpose works (PASSWORD_RESET_TTL, EMAIL_VERIFICATION_TTL). */
export function linkLifetime(purpose: TokenPurpose): number {
  const { passwordResetTtl, emailVerificationTtl } = config().auth;
  return purpose === 'password_reset' ? passwordResetTtl : emailVerificationTtl;
}

const t = {
  tokenHash: sql.identifier(accountTokens.tokenHash.name),
  userId: sql.identifier(accountTokens.userId.name),
  purpose: sql.identifier(accountTokens.purpose.name),
  expiresAt: sql.identifier(accountTokens.expiresAt.name),
  usedAt: sql.identifier(accountTokens.usedAt.name),
};

/**
 * SQL: insert ... select that stores a new token for each user id `userIds` yields (a subquery), with
 * its expiry. Used by issueAccountToken and by registration's one statement (lib/auth/store/users.ts).
 * An account has at most one unused token per purpose (a unique index): the new one takes the unused
 * one's place, which voids the older link. Concurrent requests wait for each other on that index
 * entry, whatever their snapshots, so however many run at once exactly one link stays live.
 */
export function insertTokenFor(userIds: SQL, token: string, purpose: TokenPurpose): SQL {
  return sql`insert into ${accountTokens} (${t.tokenHash}, ${t.userId}, ${t.purpose}, ${t.expiresAt})
    select ${hashLinkToken(token)}, id, ${purpose}, now() + make_interval(secs => ${linkLifetime(purpose)}) from (${userIds}) as target
    on conflict (${t.userId}, ${t.purpose}) where ${t.usedAt} is null do update set
      ${t.tokenHash} = excluded.${t.tokenHash}, ${sql.identifier(accountTokens.createdAt.name)} = now(), ${t.expiresAt} = excluded.${t.expiresAt}`;
}

/**
 * SQL: the conditional update that spends a token (one statement, so that two requests with one
 * token cannot both get it: the second waits for the first's row lock and then finds used_at set).
 * Only a token of an active account is spent. Returns user_id; no row when the token is unknown,
 * used, superseded, expired, of another purpose or of a deactivated account.
 */
export function spendToken(token: string, purpose: TokenPurpose): SQL {
  return sql`update ${accountTokens} set ${t.usedAt} = now()
    where ${accountTokens.tokenHash} = ${hashLinkToken(token)} and ${accountTokens.purpose} = ${purpose}
      and ${accountTokens.usedAt} is null and ${accountTokens.expiresAt} > now()
      and exists (select 1 from ${users} where ${users.id} = ${accountTokens.userId} and ${users.isActive})
    returning ${accountTokens.userId} as user_id`;
}

/** SQL: marks used every other live token of `purpose` of the users `userIds` yields. */
export function voidTokensOf(userIds: SQL, purpose: TokenPurpose, except?: string): SQL {
  return sql`update ${accountTokens} set ${t.usedAt} = now()
    where ${accountTokens.userId} in (${userIds}) and ${accountTokens.purpose} = ${purpose} and ${accountTokens.usedAt} is null
      ${except ? sql`and ${accountTokens.tokenHash} <> ${hashLinkToken(except)}` : sql``}`;
}

/**
 * One statement: a new token for the account (by id, or by email for an active account), in the place
 * of the unused one of the same purpose (insertTokenFor). By email, the statement is the same whether
 * an account exists or not, so the work (and the time) does not tell; returns undefined when none does.
 * `unverifiedOnly`: only for an account whose email is not verified yet (a new verification link).
 */
export async function issueAccountToken(
  purpose: TokenPurpose,
  account: { userId: string } | { email: string; unverifiedOnly?: true },
): Promise<{ token: string; userId: string; email: string } | undefined> {
  const token = newLinkToken();
  const target =
    'userId' in account
      ? sql`select ${users.id}, ${users.email} from ${users} where ${users.id} = ${account.userId}`
      : sql`select ${users.id}, ${users.email} from ${users} where lower(${users.email}) = ${account.email.toLowerCase()} and ${users.isActive}
          ${account.unverifiedOnly ? sql`and ${users.emailVerifiedAt} is null` : sql``}`;
  const { rows } = await getDb().execute<{ id: string; email: string }>(sql`
    with account as (${target}),
    issued as (${insertTokenFor(sql`select id from account`, token, purpose)} returning ${t.userId})
    select account.id, account.email from account join issued on issued.${t.userId} = account.id`);
  const row = rows[0];
  return row && { token, userId: row.id, email: row.email };
}

/**
 * A read (no change): the account a live token of this purpose belongs to, or undefined. Lets a reset
 * refuse a dead link before it spends a password hash on it; spending stays the conditional update.
 */
export async function findTokenAccount(token: string, purpose: TokenPurpose): Promise<{ userId: string; email: string } | undefined> {
  if (!isWellFormedLinkToken(token)) return undefined;
  const { rows } = await readWithRetry((db) => db.execute<{ user_id: string; email: string }>(sql`
    select ${users.id} as user_id, ${users.email} as email from ${accountTokens} join ${users} on ${users.id} = ${accountTokens.userId}
    where ${accountTokens.tokenHash} = ${hashLinkToken(token)} and ${accountTokens.purpose} = ${purpose}
      and ${accountTokens.usedAt} is null and ${accountTokens.expiresAt} > now() and ${users.isActive}`));
  const row = rows[0];
  return row && { userId: row.user_id, email: row.email };
}
