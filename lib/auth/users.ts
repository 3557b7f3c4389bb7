import { eq, sql } from 'drizzle-orm';
import { getDb } from '../db';
import { isUniqueViolation } from '../db/errors';
import { users, type User } from '../db/schema';

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
  const [user] = await getDb()
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .limit(1);
  return user;
}

export async function findUserById(id: string): Promise<PublicUser | undefined> {
  const [user] = await getDb().select(publicColumns).from(users).where(eq(users.id, id)).limit(1);
  return user && publicUser(user);
}

export async function updatePasswordHash(id: string, hashedPassword: string): Promise<void> {
  await getDb().update(users).set({ hashedPassword }).where(eq(users.id, id));
}

/** Every account, oldest first, for the admin CLI (`npm run users -- list`). */
export async function listUsers(): Promise<PublicUser[]> {
  return (await getDb().select(publicColumns).from(users).orderBy(users.createdAt, users.email)).map(publicUser);
}

/**
 * Activates or deactivates the account with this email (any case); returns it as it was before the
 * change (so a caller can tell "already inactive"), or undefined when no account has this email.
 * A deactivated user can no longer log in (403) and their access tokens stop working at once
 * (requireUser reads is_active on every request).
 * TODO(sessions): deactivating must also revoke all of the user's sessions (refresh tokens) in the
 * same transaction, once sessions exist, so that no refresh can mint a new access token.
 */
export async function setUserActive(email: string, active: boolean): Promise<PublicUser | undefined> {
  const user = await findUserByEmail(email.trim());
  if (!user) return undefined;
  if (user.isActive !== active) await getDb().update(users).set({ isActive: active }).where(eq(users.id, user.id));
  return publicUser(user);
}
