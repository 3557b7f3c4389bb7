import { and, eq, sql } from 'drizzle-orm';
import { getDb } from '../../db';
import { isUniqueViolation } from '../../db/errors';
import { readWithRetry } from '../../db/read-retry';
import { rateLimits, sessions, users, type User } from '../../db/schema';
import { insertTokenFor, spendToken, voidTokensOf } from './account-tokens';
import { accountCountersOf, loginCountersOf } from '../limits/password-backoff';
import { rememberClient } from './known-clients';
import { revokeAllSessions } from './sessions';

export type PublicUser = { id: string; email: string; is_active: boolean; email_verified: boolean; created_at: string };

/** What a client may see of a user: never the hash. */
export function publicUser(user: Pick<User, 'id' | 'email' | 'isActive' | 'emailVerifiedAt' | 'createdAt'>): PublicUser {
  return {
    id: user.id,
    email: user.email,
    is_active: user.isActive,
    email_verified: user.emailVerifiedAt !== null,
    created_at: user.createdAt.toISOString(),
  };
}

const publicColumns = {
  id: users.id,
  email: users.email,
  isActive: users.isActive,
  emailVerifiedAt: users.emailVerifiedAt,
  createdAt: users.createdAt,
};

/** The same columns for raw statements' `returning`, as publicUser() reads them. */
const returningPublic = sql`${users.id} as id, ${users.email} as email, ${users.isActive} as "isActive",
  ${users.emailVerifiedAt} as "emailVerifiedAt", ${users.createdAt} as "createdAt"`;

type PublicRow = { id: string; email: string; isActive: boolean; emailVerifiedAt: string | Date | null; createdAt: string | Date };

/** A raw row (timestamps may arrive as text) as the public user. */
function publicUserOfRow(row: PublicRow): PublicUser {
  return publicUser({
    ...row,
    emailVerifiedAt: row.emailVerifiedAt === null ? null : new Date(row.emailVerifiedAt),
    createdAt: new Date(row.createdAt),
  });
}

/**
 * One statement: insert ... returning. A duplicate is caught from the unique index on lower(email),
 * not by a SELECT first, so concurrent sign-ups of one email cannot both win. Returns null then.
 * With `verificationToken`, the same statement stores it as the account's email-verification token.
 */
export async function createUser(email: string, hashedPassword: string, verificationToken?: string): Promise<PublicUser | null> {
  try {
    if (!verificationToken) {
      const [user] = await getDb().insert(users).values({ email, hashedPassword }).returning(publicColumns);
      return user ? publicUser(user) : null;
    }
    const { rows } = await getDb().execute<PublicRow>(sql`
      with created as (
        insert into ${users} (${sql.identifier(users.email.name)}, ${sql.identifier(users.hashedPassword.name)})
        values (${email}, ${hashedPassword})
        returning ${returningPublic}
      ), issued as (${insertTokenFor(sql`select id from created`, verificationToken, 'email_verification')})
      select * from created`);
    return rows[0] ? publicUserOfRow(rows[0]) : null;
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
 * The user behind an access token, and whether its session is still live (not revoked, not
 * expired), in one query.
 */
export async function findUserAndSession(
  id: string,
  sessionId: string,
): Promise<{ user: PublicUser; sessionLive: boolean } | undefined> {
  const [row] = await readWithRetry((db) => db
    .select({
      ...publicColumns,
      sessionLive: sql<boolean>`(${sessions.revokedAt} is null and ${sessions.expiresAt} > now())`,
    })
    .from(users)
    .leftJoin(sessions, and(eq(sessions.id, sessionId), eq(sessions.userId, users.id)))
    .where(eq(users.id, id))
    .limit(1));
  return row && { user: publicUser(row), sessionLive: row.sessionLive === true };
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
 * The new hash and every password attempt counted against the account forgotten, from every address
 * (the password guessed at is gone), then every session of the user but `keep` revoked, in one
 * transaction. The revocation is a statement of its own, started once the update holds the user's
 * row: it sees every session a login committed before that (a login waits for the row and then sees
 * the new hash: startLoginSession), so no login racing the change keeps a session.
 */
export async function changePassword(user: { id: string; email: string }, hashedPassword: string, keep: string): Promise<void> {
  await getDb().transaction(async (tx) => {
    await tx.execute(sql`
      with forgotten as (
        delete from ${rateLimits} where ${loginCountersOf(user.email)}
      )
      update ${users} set ${sql.identifier(users.hashedPassword.name)} = ${hashedPassword} where ${users.id} = ${user.id}`);
    await revokeAllSessions(user.id, { keep, db: tx });
  });
}

/** Every account, oldest first, for the admin CLI (`npm run users -- list`). */
export async function listUsers(): Promise<PublicUser[]> {
  return (await getDb().select(publicColumns).from(users).orderBy(users.createdAt, users.email)).map(publicUser);
}

/**
 * Activates or deactivates the account with this email (any case); returns it as it was before the
 * change (so a caller can tell "already inactive"), or undefined when no account has this email.
 * A deactivated user can no longer log in (403) and their access tokens stop working at once
 * (requireUser reads is_active on every request); their sessions are revoked in the same transaction,
 * so that no refresh token can mint a new access token even after reactivation.
 */
export async function setUserActive(email: string, active: boolean): Promise<PublicUser | undefined> {
  const user = await findUserByEmail(email.trim());
  if (!user) return undefined;
  if (active) {
    if (!user.isActive) await getDb().update(users).set({ isActive: true }).where(eq(users.id, user.id));
  } else {
    // Two statements, as changePassword: the revocation starts once the update holds the user's row.
    await getDb().transaction(async (tx) => {
      await tx.execute(sql`update ${users} set ${sql.identifier(users.isActive.name)} = false where ${users.id} = ${user.id}`);
      await revokeAllSessions(user.id, { db: tx });
    });
  }
  return publicUser(user);
}

/**
 * A password reset, in one transaction: the token is spent (the conditional update: of two resets with
 * one token, exactly one gets a row), and only if it was: the new hash stored, the email marked
 * verified (the link proved the owner reads it), the account's other reset links voided and its
 * counted login attempts forgotten and this client remembered as the account's (known-clients.ts); then every session revoked (a statement of its own: see
 * revokeAllSessions in sessions.ts). Returns the account, or undefined when the
 * token was not live (used meanwhile, expired, superseded, deactivated account).
 */
export async function resetPasswordWithToken(
  token: string,
  account: { userId: string; email: string },
  hashedPassword: string,
  client: { address: string; deviceToken: string },
): Promise<{ id: string; email: string } | undefined> {
  return getDb().transaction(async (tx) => {
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
export async function verifyEmailWithToken(token: string): Promise<PublicUser | undefined> {
  const { rows } = await getDb().execute<PublicRow>(sql`
    with spent as (${spendToken(token, 'email_verification')}),
    verified as (
      update ${users} set ${sql.identifier(users.emailVerifiedAt.name)} = coalesce(${users.emailVerifiedAt}, now())
      where ${users.id} = (select user_id from spent)
      returning ${returningPublic}
    ), voided as (${voidTokensOf(sql`select id from verified`, 'email_verification', token)})
    select * from verified`);
  return rows[0] && publicUserOfRow(rows[0]);
}

/** The admin's verification (npm run users -- verify): returns the account as it was before, or undefined. */
export async function markEmailVerified(email: string): Promise<PublicUser | undefined> {
  const user = await findUserByEmail(email.trim());
  if (!user) return undefined;
  if (!user.emailVerifiedAt) await getDb().update(users).set({ emailVerifiedAt: sql`now()` }).where(eq(users.id, user.id));
  return publicUser(user);
}

/**
 * The admin's new password (npm run users -- set-password): the hash stored, reset links voided,
 * counted login attempts forgotten, then every session revoked.
 */
export async function setPasswordAndEndSessions(user: { id: string; email: string }, hashedPassword: string): Promise<void> {
  await getDb().transaction(async (tx) => {
    await tx.execute(sql`
      with changed as (
        update ${users} set ${sql.identifier(users.hashedPassword.name)} = ${hashedPassword} where ${users.id} = ${user.id}
      ), voided as (${voidTokensOf(sql`select ${user.id}::uuid`, 'password_reset')})
      delete from ${rateLimits} where ${loginCountersOf(user.email)}`);
    await revokeAllSessions(user.id, { db: tx });
  });
}

/**
 * Deletes an account and everything of it, in one statement: sessions, refresh tokens and email links
 * go with the user (ON DELETE CASCADE), its rate-limit rows are deleted alongside. True when it existed.
 */
export async function deleteUser(user: { id: string; email: string }): Promise<boolean> {
  const { rows } = await getDb().execute<{ id: string }>(sql`
    with forgotten as (
      delete from ${rateLimits} where ${accountCountersOf(user)}
    )
    delete from ${users} where ${users.id} = ${user.id} returning ${users.id} as id`);
  return rows.length === 1;
}
