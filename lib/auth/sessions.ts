import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { config } from '../config';
import { getDb } from '../db';
import { rateLimits, refreshTokens, sessions, users } from '../db/schema';
import { accountCounterKey } from './rate-limit';

/**
 * Sessions and their rotating refresh tokens (tables in lib/db/schema.ts).
 *
 * A refresh token is 256 random bits, base64url (43 characters); only its SHA-256 is stored. Each
 * refresh spends the presented token and issues its successor, so a session has at most one live
 * refresh token. A spent token presented again means it was copied: the session is revoked, unless
 * it comes within REFRESH_REUSE_GRACE of being spent (a client that lost the answer and retries).
 */

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function sha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type IssuedSession = { sessionId: string; refreshToken: string; refreshExpiresIn: number };

/**
 * One statement records a successful login: the session and its first refresh token, and the
 * account's counted password attempts forgotten. The session is created only if the hash that was
 * verified is still the stored one and the user is still active, read under a share lock on the
 * user's row: a password change or deactivation in progress is waited for and then seen, so a login
 * racing one gets nothing (undefined). (A change that starts later ends this session: lib/auth/users.ts.)
 */
export async function startLoginSession(user: { id: string; email: string }, verifiedHash: string): Promise<IssuedSession | undefined> {
  const { refreshTokenTtl } = config().auth;
  const refreshToken = newRefreshToken();
  const { rows } = await getDb().execute<{ session_id: string }>(sql`
    with forgotten as (
      delete from ${rateLimits} where ${rateLimits.key} = ${accountCounterKey(user.email)}
    ), session as (
      insert into ${sessions} (${sql.identifier(sessions.userId.name)}, ${sql.identifier(sessions.expiresAt.name)})
      select ${users.id}, now() + make_interval(secs => ${refreshTokenTtl})
      from ${users}
      where ${users.id} = ${user.id} and ${users.hashedPassword} = ${verifiedHash} and ${users.isActive}
      for share
      returning ${sessions.id}
    )
    insert into ${refreshTokens} (${sql.identifier(refreshTokens.tokenHash.name)}, ${sql.identifier(refreshTokens.sessionId.name)})
    select ${sha256(refreshToken)}, id from session
    returning ${refreshTokens.sessionId} as session_id`);
  const sessionId = rows[0]?.session_id;
  return sessionId ? { sessionId, refreshToken, refreshExpiresIn: refreshTokenTtl } : undefined;
}

export type RefreshResult =
  | ({ ok: true; userId: string } & IssuedSession)
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'inactive_user' | 'reused' };

/**
 * Rotates a refresh token, in one transaction. The session's row is locked first (FOR UPDATE), so
 * concurrent refreshes of one session run one after the other; the token is read only once the lock is
 * held, so each sees what the one before it committed: two refreshes with the same token never leave
 * two live tokens. Every path takes the session lock before any token row, so they cannot deadlock.
 */
export async function rotateRefreshToken(presented: string): Promise<RefreshResult> {
  if (!REFRESH_TOKEN.test(presented)) return { ok: false, reason: 'unknown' };
  const { refreshTokenTtl, refreshReuseGrace } = config().auth;
  const presentedHash = sha256(presented);

  return getDb().transaction(async (tx) => {
    const locked = await tx.execute<{ session_id: string; user_id: string; revoked: boolean; expired: boolean; is_active: boolean }>(sql`
      select s.id as session_id, s.user_id, s.revoked_at is not null as revoked,
             s.expires_at <= now() as expired, u.is_active
      from sessions s
      join users u on u.id = s.user_id
      where s.id = (select session_id from refresh_tokens where token_hash = ${presentedHash})
      for update of s`);
    const session = locked.rows[0];
    if (!session) return { ok: false, reason: 'unknown' } as const;
    // Read after the lock: under READ COMMITTED a new statement sees what the lock holder committed.
    const token = await tx.execute<{ spent: boolean; within_grace: boolean }>(sql`
      select spent_at is not null as spent,
             coalesce(spent_at > now() - make_interval(secs => ${refreshReuseGrace}), false) as within_grace
      from refresh_tokens where token_hash = ${presentedHash}`);
    const found = { ...session, ...token.rows[0]! };
    if (found.revoked) return { ok: false, reason: 'revoked' } as const;
    if (found.expired) return { ok: false, reason: 'expired' } as const;
    if (!found.is_active) return { ok: false, reason: 'inactive_user' } as const;
    if (found.spent && !found.within_grace) {
      // Reuse of a spent token: someone holds a copy. End the session for everyone; this commits.
      await tx.execute(sql`update sessions set revoked_at = now() where id = ${found.session_id}`);
      return { ok: false, reason: 'reused' } as const;
    }

    // Spend whatever token is live in the session (the presented one, or, in the grace window, its
    // successor that the client never received), issue the next, and move the session's expiry on.
    const refreshToken = newRefreshToken();
    await tx.execute(sql`
      with spent as (
        update refresh_tokens set spent_at = now()
        where session_id = ${found.session_id} and spent_at is null
      ), issued as (
        insert into refresh_tokens (token_hash, session_id, replaces_hash)
        values (${sha256(refreshToken)}, ${found.session_id}, ${presentedHash})
      )
      update sessions set last_used_at = now(), expires_at = now() + make_interval(secs => ${refreshTokenTtl})
      where id = ${found.session_id}`);
    return { ok: true, userId: found.user_id, sessionId: found.session_id, refreshToken, refreshExpiresIn: refreshTokenTtl } as const;
  });
}

/** Revokes one session of a user (logout). */
export async function revokeSession(userId: string, sessionId: string): Promise<void> {
  await getDb()
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}

/** Revokes every session of a user, or every one but `keep`. */
export async function revokeAllSessions(userId: string, keep?: string): Promise<void> {
  await getDb()
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep ? ne(sessions.id, keep) : undefined));
}
