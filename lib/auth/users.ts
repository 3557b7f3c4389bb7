import { and, eq, sql } from 'drizzle-orm';
import { getDb } from '../db';
import { isUniqueViolation } from '../db/errors';
import { readWithRetry } from '../db/read-retry';
import { rateLimits, sessions, users, type User } from '../db/schema';
import { accountCounterKey } from './rate-limit';

export type PublicUser = { id: string; email: string; is_active: boolean; created_at: string };

/** What a client may see of a user: never the hash. */
export function publicUser(user: Pick<User, 'id' | 'email' | 'isActive' | 'createdAt'>): PublicUser {
  return { id: user.id, email: user.email, is_active: user.isActive, created_at: user.createdAt.toISOString() };
}

const publicColumns = { id: users.id, email: users.email, isActive: users.isActive, createdAt: users.createdAt };

/**
 * One statement: insert ... returning. A duplicate is caught from the unique index on lower(email),
 * not by a SELECT first, so concurrent sign-ups of one email cannot both win. Returns null then.
 */
export async function createUser(email: string, hashedPassword: string): Promise<PublicUser | null> {
  try {
    const [user] = await getDb().insert(users).values({ email, hashedPassword }).returning(publicColumns);
    return user ? publicUser(user) : null;
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
 * The new hash and the account's counted login attempts forgotten, then every session of the user but
 * `keep` revoked, in one transaction. The revocation is a statement of its own, started once the update
 * holds the user's row: it sees every session a login committed before that (a login waits for the row
 * and then sees the new hash: startLoginSession), so no login racing the change keeps a session.
 */
export async function changePassword(user: { id: string; email: string }, hashedPassword: string, keep: string): Promise<void> {
  await getDb().transaction(async (tx) => {
    await tx.execute(sql`
      with forgotten as (
        delete from ${rateLimits} where ${rateLimits.key} = ${accountCounterKey(user.email)}
      )
      update ${users} set ${sql.identifier(users.hashedPassword.name)} = ${hashedPassword} where ${users.id} = ${user.id}`);
    await tx.execute(sql`
      update ${sessions} set ${sql.identifier(sessions.revokedAt.name)} = now()
      where ${sessions.userId} = ${user.id} and ${sessions.id} <> ${keep} and ${sessions.revokedAt} is null`);
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
      await tx.execute(sql`
        update ${sessions} set ${sql.identifier(sessions.revokedAt.name)} = now()
        where ${sessions.userId} = ${user.id} and ${sessions.revokedAt} is null`);
    });
  }
  return publicUser(user);
}
