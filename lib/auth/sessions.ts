import { createHash, randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { getDb } from '../db';
import { authConfig } from './config';

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
 * One statement: the session and its first refresh token, plus `also` (e.g. forgetting the account's
 * failed attempts) when given, so that a login records its success in one round trip.
 */
export async function createSession(userId: string, also?: SQL): Promise<IssuedSession> {
  const { refreshTokenTtl } = authConfig();
  const refreshToken = newRefreshToken();
  const { rows } = await getDb().execute<{ session_id: string }>(sql`
    with ${also ? sql`also as (${also}),` : sql``} session as (
      insert into sessions (user_id, expires_at)
      values (${userId}, now() + make_interval(secs => ${refreshTokenTtl}))
      returning id
    )
    insert into refresh_tokens (token_hash, session_id)
    select ${sha256(refreshToken)}, id from session
    returning session_id`);
  return { sessionId: rows[0]!.session_id, refreshToken, refreshExpiresIn: refreshTokenTtl };
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
  const { refreshTokenTtl, refreshReuseGrace } = authConfig();
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
  await getDb().execute(sql`
    update sessions set revoked_at = now()
    where id = ${sessionId} and user_id = ${userId} and revoked_at is null`);
}

/** Revokes every session of a user, or every one but `keep` (password change). */
export async function revokeAllSessions(userId: string, keep?: string): Promise<void> {
  await getDb().execute(sql`
    update sessions set revoked_at = now()
    where user_id = ${userId} and revoked_at is null ${keep ? sql`and id <> ${keep}` : sql``}`);
}
