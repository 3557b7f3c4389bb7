import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { config } from '../../config';
import { getDb } from '../../db';
import { refreshTokens, sessions, users } from '../../db/schema';
import { forgetFailuresFrom, type KnownClient } from '../limits/password-backoff';
import { openSuccessor, sealSuccessor } from '../crypto/successor-seal';
import { rememberClient } from './known-clients';

/**
 * Sessions and their rotating refresh tokens (tables in lib/db/schema.ts).
 *
 * A refresh token is 256 random bits, base64url (43 characters); only its SHA-256 is stored. Each
 * refresh spends the presented token and issues its successor, so a session has at most one live
 * refresh token. A spent token presented again within REFRESH_REUSE_GRACE gets the same successor back
 * (two tabs refreshing at once, or a lost answer); later it means it was copied: the session is revoked.
 * No refresh moves a session's end past created_at + SESSION_MAX_AGE.
 */

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Spent tokens are kept (for reuse detection) for twice the access token's lifetime after they were
 * spent: an owner whose token a thief spent first comes back with it when their access token expires,
 * whatever the thief did meanwhile. At most this many, the most recent, per session, so that no session
 * grows without bound; a thief who refreshes more often than that within the window escapes detection.
 */
const SPENT_TOKENS_KEPT = 20;

function spentTokenMemorySeconds(auth = config().auth): number {
  return Math.max(2 * auth.accessTokenTtl, auth.refreshReuseGrace);
}

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function sha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** How a login proved who it was (RFC 8176 `amr` values): a password, and a one-time code with 2FA. */
export type Amr = ['pwd'] | ['pwd', 'otp'];

export type IssuedSession = { sessionId: string; refreshToken: string; refreshExpiresIn: number; amr: Amr };

/** Where a login comes from: its address (as the rate limits count it) and its User-Agent. */
export type LoginClient = { address: string; userAgent?: string | null };

/** What GET /auth/sessions shows of the User-Agent: enough to recognise a device, bounded. */
const USER_AGENT_KEPT = 200;

// Column names for INSERT and SET lists, from the schema.
const t = {
  tokenHash: sql.identifier(refreshTokens.tokenHash.name),
  sessionId: sql.identifier(refreshTokens.sessionId.name),
  replacesHash: sql.identifier(refreshTokens.replacesHash.name),
  spentAt: sql.identifier(refreshTokens.spentAt.name),
  successorCiphertext: sql.identifier(refreshTokens.successorCiphertext.name),
};
const s = {
  userId: sql.identifier(sessions.userId.name),
  expiresAt: sql.identifier(sessions.expiresAt.name),
  revokedAt: sql.identifier(sessions.revokedAt.name),
  lastUsedAt: sql.identifier(sessions.lastUsedAt.name),
  userAgent: sql.identifier(sessions.userAgent.name),
  ip: sql.identifier(sessions.ip.name),
  amr: sql.identifier(sessions.amr.name),
};

/**
 * One statement records a successful login: the session and its first refresh token, the password
 * attempts counted from this client forgotten (lib/auth/limits/password-backoff.ts), and the client's device token
 * and address remembered (lib/auth/store/known-clients.ts). The session
 * is created only if the hash that was verified is still the stored one and the user is still active,
 * read under a share lock on the user's row: a password change or deactivation in progress is waited
 * for and then seen, so a login racing one gets nothing (undefined). (A change that starts later ends
 * this session: lib/auth/store/users.ts.)
 */
export async function startLoginSession(
  user: { id: string; email: string },
  verifiedHash: string,
  client: LoginClient & { known?: KnownClient; deviceToken?: string },
  amr: Amr = ['pwd'],
): Promise<IssuedSession | undefined> {
  const { refreshTokenTtl, sessionMaxAge } = config().auth;
  const lifetime = Math.min(refreshTokenTtl, sessionMaxAge);
  const refreshToken = newRefreshToken();
  const { rows } = await getDb().execute<{ session_id: string }>(sql`
    with ${forgetFailuresFrom(user.email, client.address, client.known)}, session as (
      insert into ${sessions} (${s.userId}, ${s.expiresAt}, ${s.userAgent}, ${s.ip}, ${s.amr})
      select ${users.id}, now() + make_interval(secs => ${lifetime}), ${client.userAgent?.slice(0, USER_AGENT_KEPT) ?? null}, ${client.address},
        ${`{${amr.join(',')}}`}::text[]
      from ${users}
      where ${users.id} = ${user.id} and ${users.hashedPassword} = ${verifiedHash} and ${users.isActive}
      for share
      returning ${sessions.id}, ${sessions.userId}
    ), ${rememberClient(sql`select user_id as id from session`, client.deviceToken, client.address)}
    insert into ${refreshTokens} (${t.tokenHash}, ${t.sessionId})
    select ${sha256(refreshToken)}, id from session
    returning ${refreshTokens.sessionId} as session_id`);
  const sessionId = rows[0]?.session_id;
  return sessionId ? { sessionId, refreshToken, refreshExpiresIn: lifetime, amr } : undefined;
}

export type RefreshResult =
  | ({ ok: true; userId: string } & IssuedSession)
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'inactive_user' | 'reused' };

type TokenRow = { token_hash: string; spent: boolean; within_grace: boolean; successor_ciphertext: string | null };

/**
 * The live token a spent one leads to: each spent token's successor is sealed under it, so the chain
 * is followed from the presented token (a tab that lost a race may be several rotations behind).
 */
function liveSuccessor(presented: string, byHash: Map<string, TokenRow>): string | undefined {
  let token = presented;
  for (let hops = 0; hops <= byHash.size; hops++) {
    const row = byHash.get(sha256(token));
    if (!row) return undefined;
    if (!row.spent) return token;
    const next = row.successor_ciphertext ? openSuccessor(token, row.successor_ciphertext) : undefined;
    if (!next) return undefined;
    token = next;
  }
  return undefined;
}

/**
 * Rotates a refresh token, in one transaction. The session's row is locked first (FOR UPDATE), so
 * concurrent refreshes of one session run one after the other; its tokens are read only once the lock
 * is held, so each sees what the one before it committed: the second of two refreshes with one token
 * finds it just spent and gets the first one's successor. Every path takes the session lock before any
 * token row, so they cannot deadlock.
 */
export async function rotateRefreshToken(presented: string): Promise<RefreshResult> {
  if (!REFRESH_TOKEN.test(presented)) return { ok: false, reason: 'unknown' };
  const auth = config().auth;
  const presentedHash = sha256(presented);

  return getDb().transaction(async (tx) => {
    const locked = await tx.execute<{
      session_id: string; user_id: string; amr: Amr; revoked: boolean; expired: boolean; is_active: boolean; expires_in: number; max_age_left: number;
    }>(sql`
      select ${sessions.id} as session_id, ${sessions.userId} as user_id, ${sessions.amr} as amr, ${sessions.revokedAt} is not null as revoked,
             ${sessions.expiresAt} <= now() or ${sessions.createdAt} + make_interval(secs => ${auth.sessionMaxAge}) <= now() as expired,
             ${users.isActive} as is_active,
             floor(extract(epoch from ${sessions.expiresAt} - now()))::int as expires_in,
             floor(extract(epoch from ${sessions.createdAt} + make_interval(secs => ${auth.sessionMaxAge}) - now()))::int as max_age_left
      from ${sessions}
      join ${users} on ${users.id} = ${sessions.userId}
      where ${sessions.id} = (select ${refreshTokens.sessionId} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${presentedHash})
      for update of ${sessions}`);
    const session = locked.rows[0];
    if (!session) return { ok: false, reason: 'unknown' } as const;
    // Read after the lock: under READ COMMITTED a new statement sees what the lock holder committed.
    // The session's every token: a handful (see SPENT_TOKENS_KEPT), needed to follow a spent one's chain.
    const tokens = await tx.execute<TokenRow>(sql`
      select ${refreshTokens.tokenHash} as token_hash, ${refreshTokens.spentAt} is not null as spent,
             coalesce(${refreshTokens.spentAt} > now() - make_interval(secs => ${auth.refreshReuseGrace}), false) as within_grace,
             ${refreshTokens.successorCiphertext} as successor_ciphertext
      from ${refreshTokens} where ${refreshTokens.sessionId} = ${session.session_id}`);
    const byHash = new Map(tokens.rows.map((row) => [row.token_hash, row]));
    const token = byHash.get(presentedHash);
    if (!token) return { ok: false, reason: 'unknown' } as const; // forgotten while we waited for the lock
    if (session.revoked) return { ok: false, reason: 'revoked' } as const;
    if (session.expired) return { ok: false, reason: 'expired' } as const;
    if (!session.is_active) return { ok: false, reason: 'inactive_user' } as const;

    if (token.spent) {
      if (!token.within_grace) {
        // Reuse of a spent token: someone holds a copy. End the session for everyone; this commits.
        await tx.execute(sql`update ${sessions} set ${s.revokedAt} = now() where ${sessions.id} = ${session.session_id}`);
        return { ok: false, reason: 'reused' } as const;
      }
      // Just spent (a second tab, a lost answer): the same successor again, so there is never a second
      // live branch and neither holder is logged out. Nothing is written.
      const successor = liveSuccessor(presented, byHash);
      if (!successor) return { ok: false, reason: 'unknown' } as const;
      return { ok: true, userId: session.user_id, sessionId: session.session_id, refreshToken: successor, refreshExpiresIn: session.expires_in, amr: session.amr } as const;
    }

    // Spend the presented token, keeping its successor sealed under it; issue the successor; forget the
    // spent tokens past the memory window or the count; move the session's end on, never past its max age.
    const refreshToken = newRefreshToken();
    const memory = spentTokenMemorySeconds(auth);
    await tx.execute(sql`
      with spent as (
        update ${refreshTokens} set ${t.spentAt} = now(), ${t.successorCiphertext} = ${sealSuccessor(presented, refreshToken)}
        where ${refreshTokens.tokenHash} = ${presentedHash}
      ), issued as (
        insert into ${refreshTokens} (${t.tokenHash}, ${t.sessionId}, ${t.replacesHash})
        values (${sha256(refreshToken)}, ${session.session_id}, ${presentedHash})
      ), forgotten as (
        delete from ${refreshTokens}
        where ${refreshTokens.sessionId} = ${session.session_id} and ${refreshTokens.spentAt} is not null
          and (${refreshTokens.spentAt} <= now() - make_interval(secs => ${memory})
               or ${refreshTokens.tokenHash} in (
                 select ${refreshTokens.tokenHash} from ${refreshTokens}
                 where ${refreshTokens.sessionId} = ${session.session_id} and ${refreshTokens.spentAt} is not null
                 order by ${refreshTokens.spentAt} desc, ${refreshTokens.createdAt} desc
                 offset ${SPENT_TOKENS_KEPT - 1}))
      )
      update ${sessions}
      set ${s.lastUsedAt} = now(),
          ${s.expiresAt} = least(now() + make_interval(secs => ${auth.refreshTokenTtl}),
                                 ${sessions.createdAt} + make_interval(secs => ${auth.sessionMaxAge}))
      where ${sessions.id} = ${session.session_id}`);
    const refreshExpiresIn = Math.min(auth.refreshTokenTtl, session.max_age_left);
    return { ok: true, userId: session.user_id, sessionId: session.session_id, refreshToken, refreshExpiresIn, amr: session.amr } as const;
  });
}

/**
 * The live session a refresh token (live or spent but still remembered) belongs to: logout with the
 * refresh cookie. A spent one ends its session too, since ending is never what a thief wants.
 */
export async function sessionOfRefreshToken(token: string): Promise<{ userId: string; sessionId: string } | undefined> {
  if (!REFRESH_TOKEN.test(token)) return undefined;
  const maxAge = config().auth.sessionMaxAge;
  const [found] = await getDb()
    .select({ userId: sessions.userId, sessionId: sessions.id })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(
      and(
        eq(refreshTokens.tokenHash, sha256(token)),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql`now()`),
        gt(sql`${sessions.createdAt} + make_interval(secs => ${maxAge})`, sql`now()`),
      ),
    );
  return found;
}

export type LiveSession = Pick<typeof sessions.$inferSelect, 'id' | 'createdAt' | 'lastUsedAt' | 'expiresAt' | 'userAgent' | 'ip'>;

/** The user's live sessions, newest first (GET /auth/sessions). */
export async function listLiveSessions(userId: string): Promise<LiveSession[]> {
  return getDb()
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      ip: sessions.ip,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
}

/**
 * Ends one live session of a user (logout, DELETE /auth/sessions/{id}); false when the user has no
 * live session with that id (someone else's, ended, unknown): the caller cannot tell which.
 */
export async function revokeSession(userId: string, sessionId: string): Promise<boolean> {
  const ended = await getDb()
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
    .returning({ id: sessions.id });
  return ended.length > 0;
}

/**
 * Revokes every session of a user, or every one but `keep`. Inside a transaction (`db`: the
 * transaction) after the statement that changed the user's password or state: that statement holds the
 * user's row, so this one, started after it, sees every session a racing login committed (a login waits
 * for that row and then sees the change: startLoginSession).
 */
export async function revokeAllSessions(
  userId: string,
  { keep, db = getDb() }: { keep?: string; db?: Pick<ReturnType<typeof getDb>, 'update'> } = {},
): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep ? ne(sessions.id, keep) : undefined));
}
