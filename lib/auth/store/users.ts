import { and, eq, sql, type SQL } from 'drizzle-orm';
import { getDb } from '../../db';
import { isUniqueViolation } from '../../db/errors';
import { readWithRetry } from '../../db/read-retry';
import { rateLimits, sessions, users, type User } from '../../db/schema';
import { insertTokenFor, spendToken, voidTokensOf } from './account-tokens';
import { accountCountersOf, loginCountersOf } from '../limits/counters';
import { rememberClient } from './known-clients';
import { revokeAllSessions, sessionLive, startSessionInTransaction, type IssuedSession, type LoginClient } from './sessions';

/**
 * A user as the flows see it: every column but the password hash and the two-factor secret (only
 * whether there is one). lib/auth/wire/public-user.ts shows it to clients.
 */
export type Account = Pick<User, 'id' | 'email' | 'isActive' | 'emailVerifiedAt' | 'createdAt'> & { twoFactorEnabled: boolean };

/** A user as read: a whole row (with the sealed secret), or the account's columns (with whether it is set). */
type AccountSource = Pick<User, 'id' | 'email' | 'isActive' | 'emailVerifiedAt' | 'createdAt'> &
  ({ twoFactorEnabled: boolean } | Pick<User, 'totpSecret'>);

/** Only the Account's columns of a fuller row: the hash and the secret never leave this module by accident. */
function accountOf(user: AccountSource): Account {
  const { id, email, isActive, emailVerifiedAt, createdAt } = user;
  return { id, email, isActive, emailVerifiedAt, createdAt, twoFactorEnabled: 'twoFactorEnabled' in user ? user.twoFactorEnabled : user.totpSecret !== null };
}

const accountColumns = {
  id: users.id,
  email: users.email,
  isActive: users.isActive,
  emailVerifiedAt: users.emailVerifiedAt,
  createdAt: users.createdAt,
  twoFactorEnabled: sql<boolean>`${users.totpSecret} is not null`,
};

/** The same columns for raw statements' `returning`, as accountOfRow() reads them. */
const returningAccount = sql`${users.id} as id, ${users.email} as email, ${users.isActive} as "isActive",
  ${users.emailVerifiedAt} as "emailVerifiedAt", ${users.createdAt} as "createdAt", ${users.totpSecret} is not null as "twoFactorEnabled"`;

type AccountRow = { id: string; email: string; isActive: boolean; emailVerifiedAt: string | Date | null; createdAt: string | Date; twoFactorEnabled: boolean };

/** A raw row (timestamps may arrive as text) as an Account. */
function accountOfRow(row: AccountRow): Account {
  return {
    ...row,
    emailVerifiedAt: row.emailVerifiedAt === null ? null : new Date(row.emailVerifiedAt),
    createdAt: new Date(row.createdAt),
  };
}

/**
 * One statement: insert ... returning. A duplicate is caught from the unique index on lower(email),
 * not by a SELECT first, so concurrent sign-ups of one email cannot both win. Returns null then.
 * With `verificationToken`, the same statement stores it as the account's email-verification token.
 */
export async function createUser(email: string, hashedPassword: string, verificationToken?: string): Promise<Account | null> {
  try {
    if (!verificationToken) {
      const [user] = await getDb().insert(users).values({ email, hashedPassword }).returning(accountColumns);
      return user ?? null;
    }
    const { rows } = await getDb().execute<AccountRow>(sql`
      with created as (
        insert into ${users} (${sql.identifier(users.email.name)}, ${sql.identifier(users.hashedPassword.name)})
        values (${email}, ${hashedPassword})
        returning ${returningAccount}
      ), issued as (${insertTokenFor(sql`select id from created`, verificationToken, 'email_verification')})
      select * from created`);
    return rows[0] ? accountOfRow(rows[0]) : null;
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_lower_key')) return null;
    throw error;
  }
}

export async function findUserByEmail(email: string): Promise<User | undefined> {
  const [user] = await readWithRetry((db) => db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .limit(1));
  return user;
}

/**
 * The user behind an access token, and whether its session is still live (sessionLive), in one query.
 */
export async function findUserAndSession(
  id: string,
  sessionId: string,
): Promise<{ user: Account; sessionLive: boolean } | undefined> {
  const [row] = await readWithRetry((db) => db
    .select({
      ...accountColumns,
      sessionLive: sql<boolean>`${sessionLive()}`,
    })
    .from(users)
    .leftJoin(sessions, and(eq(sessions.id, sessionId), eq(sessions.userId, users.id)))
    .where(eq(users.id, id))
    .limit(1));
  return row && { user: accountOf(row), sessionLive: row.sessionLive === true };
}

export async function findPasswordHash(id: string): Promise<string | undefined> {
  const [row] = await readWithRetry((db) => db.select({ hash: users.hashedPassword }).from(users).where(eq(users.id, id)).limit(1));
  return row?.hash;
}

/**
 * After a login at an old cost: stores the new hash only if the one that was verified is still the
 * stored one, so that a password changed meanwhile is never overwritten with the old password's hash.
 */
export async function upgradePasswordHash(id: string, verifiedHash: string, upgradedHash: string): Promise<boolean> {
  const changed = await getDb()
    .update(users)
    .set({ hashedPassword: upgradedHash })
    .where(and(eq(users.id, id), eq(users.hashedPassword, verifiedHash)))
    .returning({ id: users.id });
  return changed.length === 1;
}

/**
 * SQL: the first statement of every password write, the one that takes the user's row: the new hash,
 * stored only if `expectedHash` (the hash the caller verified or read) is still the stored one. Of two
 * writes that raced, the second finds the first's hash and changes nothing (compare-and-set).
 */
function setHashIfStill(userId: string, expectedHash: string, hashedPassword: string): SQL {
  return sql`update ${users} set ${sql.identifier(users.hashedPassword.name)} = ${hashedPassword}
    where ${users.id} = ${userId} and ${users.hashedPassword} = ${expectedHash} returning ${users.id} as id`;
}

/**
 * After a password write, in its transaction: the account's reset links voided (a link sent before the
 * change must not set a password after it), every password attempt counted against it forgotten (the
 * password guessed at is gone), then every session revoked. Statements of their own, after the one that
 * took the user's row: every password write takes the row first and the link rows after, so two of them
 * never wait for each other in opposite orders; and the revocation sees every session a racing login
 * committed (a login waits for the row and then sees the new hash: startLoginSession).
 */
async function afterPasswordWrite(tx: Transaction, user: { id: string; email: string }): Promise<void> {
  await tx.execute(sql`
    with voided as (${voidTokensOf(sql`select ${user.id}::uuid`, 'password_reset')})
    delete from ${rateLimits} where ${loginCountersOf(user.email)}`);
  await revokeAllSessions(user.id, { db: tx });
}

type Transaction = Parameters<Parameters<ReturnType<typeof getDb>['transaction']>[0]>[0];

/**
 * The owner's new password, in one transaction, only if `verifiedHash` (the hash their current
 * password was checked against) is still the stored one; then as afterPasswordWrite, every session
 * revoked, the one this request came from too (a thief sharing it is out), and a new session started
 * for the owner, who stays signed in. Undefined when another password write landed first: nothing
 * changed.
 */
export async function changePassword(
  user: { id: string; email: string },
  hashedPassword: string,
  verifiedHash: string,
  client: LoginClient & { deviceToken: string },
): Promise<IssuedSession | undefined> {
  return getDb().transaction(async (tx) => {
    const { rows } = await tx.execute(setHashIfStill(user.id, verifiedHash, hashedPassword));
    if (rows.length === 0) return undefined;
    await afterPasswordWrite(tx, user);
    return startSessionInTransaction(tx, user.id, client);
  });
}

/** Every account, oldest first, for the admin CLI (`npm run users -- list`). */
export async function listUsers(): Promise<Account[]> {
  return (await getDb().select(accountColumns).from(users).orderBy(users.createdAt, users.email));
}

/**
 * Activates or deactivates the account with this email (any case); returns it as it was before the
 * change (so a caller can tell "already inactive"), or undefined when no account has this email.
 * A deactivated user can no longer log in (403) and their access tokens stop working at once
 * (requireUser reads is_active on every request); their sessions are revoked and their reset links
 * voided in the same transaction, so that no refresh token and no link works even after reactivation.
 */
export async function setUserActive(email: string, active: boolean): Promise<Account | undefined> {
  const user = await findUserByEmail(email.trim());
  if (!user) return undefined;
  if (active) {
    if (!user.isActive) await getDb().update(users).set({ isActive: true }).where(eq(users.id, user.id));
  } else {
    // The user's row first, then its reset links (voided: reactivation must not bring them back) and
    // its sessions, as every password write does (afterPasswordWrite).
    await getDb().transaction(async (tx) => {
      await tx.execute(sql`update ${users} set ${sql.identifier(users.isActive.name)} = false where ${users.id} = ${user.id}`);
      await tx.execute(voidTokensOf(sql`select ${user.id}::uuid`, 'password_reset'));
      await revokeAllSessions(user.id, { db: tx });
    });
  }
  return accountOf(user);
}

/**
 * A password reset, in one transaction. The user's row is taken first, as every password write takes
 * it (afterPasswordWrite): a change, set-password or deactivation that landed first has voided the
 * link by then. Then the token is spent (the conditional update: of two resets with one token, exactly
 * one gets a row), and only if it was: the new hash stored, the email marked verified (the link proved
 * the owner reads it), the account's other reset links voided and its counted login attempts
 * forgotten, and this client remembered as the account's (known-clients.ts); then every session revoked (a statement of its own: see revokeAllSessions in
 * sessions.ts). Returns the account, or undefined when the token was not live (used meanwhile,
 * expired, superseded, voided, deactivated account).
 */
export async function resetPasswordWithToken(
  token: string,
  account: { userId: string; email: string },
  hashedPassword: string,
  client: { address: string; deviceToken: string },
): Promise<{ id: string; email: string } | undefined> {
  return getDb().transaction(async (tx) => {
    await tx.execute(sql`select 1 from ${users} where ${users.id} = ${account.userId} for update`);
    const { rows } = await tx.execute<{ id: string; email: string }>(sql`
      with spent as (${spendToken(token, 'password_reset')}),
      changed as (
        update ${users} set ${sql.identifier(users.hashedPassword.name)} = ${hashedPassword},
          ${sql.identifier(users.emailVerifiedAt.name)} = coalesce(${users.emailVerifiedAt}, now())
        where ${users.id} = (select user_id from spent) and ${users.id} = ${account.userId}
        returning ${users.id} as id, ${users.email} as email
      ), voided as (${voidTokensOf(sql`select id from changed`, 'password_reset', token)}),
      forgotten as (
        delete from ${rateLimits} where ${loginCountersOf(account.email)} and exists (select 1 from changed)
      ), ${rememberClient(sql`select id from changed`, client.deviceToken, client.address)}
      select id, email from changed`);
    if (rows[0]) await revokeAllSessions(rows[0].id, { db: tx });
    return rows[0];
  });
}

/**
 * One statement: spends an email-verification token and marks the account's email verified (kept if
 * it already was), voiding its other verification links. Returns the account, or undefined when the
 * token was not live.
 */
export async function verifyEmailWithToken(token: string): Promise<Account | undefined> {
  const { rows } = await getDb().execute<AccountRow>(sql`
    with spent as (${spendToken(token, 'email_verification')}),
    verified as (
      update ${users} set ${sql.identifier(users.emailVerifiedAt.name)} = coalesce(${users.emailVerifiedAt}, now())
      where ${users.id} = (select user_id from spent)
      returning ${returningAccount}
    ), voided as (${voidTokensOf(sql`select id from verified`, 'email_verification', token)})
    select * from verified`);
  return rows[0] && accountOfRow(rows[0]);
}

/** The admin's verification (npm run users -- verify): returns the account as it was before, or undefined. */
export async function markEmailVerified(email: string): Promise<Account | undefined> {
  const user = await findUserByEmail(email.trim());
  if (!user) return undefined;
  if (!user.emailVerifiedAt) await getDb().update(users).set({ emailVerifiedAt: sql`now()` }).where(eq(users.id, user.id));
  return accountOf(user);
}

/**
 * The admin's new password (npm run users -- set-password), only if `readHash` (the hash the command
 * read when it found the account) is still the stored one: a reset or a change that landed meanwhile
 * is not undone. Then reset links voided, counted login attempts forgotten, every session revoked
 * (afterPasswordWrite). False when another password write landed first: nothing changed.
 */
export async function setPasswordAndEndSessions(user: { id: string; email: string }, hashedPassword: string, readHash: string): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const { rows } = await tx.execute(setHashIfStill(user.id, readHash, hashedPassword));
    if (rows.length === 0) return false;
    await afterPasswordWrite(tx, user);
    return true;
  });
}

/**
 * Deletes an account and everything of it, in one statement: sessions, refresh tokens and email links
 * go with the user (ON DELETE CASCADE), its rate-limit rows are deleted alongside. With `verifiedHash`
 * (the owner's own deletion), only if that is still the stored hash: a password write that landed after
 * the check wins. True when it was deleted.
 */
export async function deleteUser(user: { id: string; email: string }, verifiedHash?: string): Promise<boolean> {
  const { rows } = await getDb().execute<{ id: string }>(sql`
    with deleted as (
      delete from ${users}
      where ${users.id} = ${user.id} ${verifiedHash === undefined ? sql`` : sql`and ${users.hashedPassword} = ${verifiedHash}`}
      returning ${users.id} as id
    ), forgotten as (
      delete from ${rateLimits} where ${accountCountersOf(user)} and exists (select from deleted)
    )
    select id from deleted`);
  return rows.length === 1;
}
