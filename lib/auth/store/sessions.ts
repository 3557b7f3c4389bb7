import { and, desc, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { config } from '../../config';
import { getDb } from '../../db';
import { sessions, users } from '../../db/schema';
import { firstRefreshToken, parseRefreshToken, successorOf, type RefreshToken } from '../crypto/refresh-tokens';
import { openSuccessor, sealSuccessor } from '../crypto/successor-seal';
import type { KnownClient } from '../limits/counters';
import { forgetFailuresFrom } from '../limits/password-backoff';
import { rememberClient } from './known-clients';

/**
 * Sessions and their rotating refresh tokens (table sessions in lib/db/schema.ts).
 *
 * Each refresh spends the presented token and issues its successor, the next generation of the same
 * session (lib/auth/crypto/refresh-tokens.ts). The session's row holds all it needs, whatever the
 * number of refreshes: the live generation and the live token's hash, and the token spent just before
 * it (its hash, when, and the live token sealed under it). So reuse is detected for the session's whole
 * life at a fixed cost per session: a token of an older generation is a copy, and ends the session.
 * The one exception is the grace path: the token spent immediately before the live one, presented again
 * within REFRESH_REUSE_GRACE (two tabs refreshing at once, or a lost answer), gets the live token back.
 * No refresh moves a session's end past created_at + SESSION_MAX_AGE.
 */

/** Past its end or its maximum age from login (SESSION_MAX_AGE): no refresh can revive it. */
export function sessionExpired(maxAge: number = config().auth.sessionMaxAge): SQL {
  return sql`(${sessions.expiresAt} <= now() or ${sessions.createdAt} + make_interval(secs => ${maxAge}) <= now())`;
}

/** The one definition of a live session, for every statement that asks: neither revoked nor expired. */
export function sessionLive(maxAge?: number): SQL {
  return sql`(${sessions.revokedAt} is null and not ${sessionExpired(maxAge)})`;
}

/** How a login proved who it was (RFC 8176 `amr` values): a password, and a one-time code with 2FA. */
export type Amr = ['pwd'] | ['pwd', 'otp'];

export type IssuedSession = { sessionId: string; refreshToken: string; refreshExpiresIn: number; amr: Amr };

/** Where a login comes from: its address (as the rate limits count it) and its User-Agent. */
export type LoginClient = { address: string; userAgent?: string | null };

/** What GET /auth/sessions shows of the User-Agent: enough to recognise a device, bounded. */
const USER_AGENT_KEPT = 200;

// Column names for INSERT and SET lists, from the schema.
const s = {
  userId: sql.identifier(sessions.userId.name),
  expiresAt: sql.identifier(sessions.expiresAt.name),
  revokedAt: sql.identifier(sessions.revokedAt.name),
  lastUsedAt: sql.identifier(sessions.lastUsedAt.name),
  userAgent: sql.identifier(sessions.userAgent.name),
  ip: sql.identifier(sessions.ip.name),
  amr: sql.identifier(sessions.amr.name),
  familyHash: sql.identifier(sessions.refreshFamilyHash.name),
  generation: sql.identifier(sessions.refreshGeneration.name),
  tokenHash: sql.identifier(sessions.refreshTokenHash.name),
  previousHash: sql.identifier(sessions.previousTokenHash.name),
  previousSpentAt: sql.identifier(sessions.previousSpentAt.name),
  successorCiphertext: sql.identifier(sessions.successorCiphertext.name),
};

/**
 * SQL: insert ... select of a new session, with its first refresh token, for each user `from` yields
 * (a FROM clause and its conditions); returns the session's id.
 */
function insertSession(from: SQL, client: LoginClient, token: RefreshToken, lifetime: number, amr: Amr): SQL {
  return sql`insert into ${sessions} (${s.userId}, ${s.expiresAt}, ${s.userAgent}, ${s.ip}, ${s.amr}, ${s.familyHash}, ${s.generation}, ${s.tokenHash})
    select ${users.id}, now() + make_interval(secs => ${lifetime}), ${client.userAgent?.slice(0, USER_AGENT_KEPT) ?? null}, ${client.address},
      ${`{${amr.join(',')}}`}::text[], ${token.familyHash}, ${token.generation}, ${token.hash}
    ${from}
    returning ${sessions.id} as session_id`;
}

function newSessionLifetime(): number {
  const { refreshTokenTtl, sessionMaxAge } = config().auth;
  return Math.min(refreshTokenTtl, sessionMaxAge);
}

/**
 * One statement records a successful login: the session and its first refresh token, the password
 * attempts counted from this client forgotten (lib/auth/limits/password-backoff.ts), and the client's
 * device token and address remembered (lib/auth/store/known-clients.ts). The session
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
  const lifetime = newSessionLifetime();
  const token = firstRefreshToken();
  const { rows } = await getDb().execute<{ session_id: string }>(sql`
    with ${forgetFailuresFrom(user.email, client.address, client.known)}, session as (
    ${insertSession(
      sql`from ${users} where ${users.id} = ${user.id} and ${users.hashedPassword} = ${verifiedHash} and ${users.isActive} for share`,
      client,
      token,
      lifetime,
      amr,
    )}), ${rememberClient(sql`select ${user.id}::uuid as id from session`, client.deviceToken, client.address)}
    select session_id from session`);
  const sessionId = rows[0]?.session_id;
  return sessionId ? { sessionId, refreshToken: token.token, refreshExpiresIn: lifetime, amr } : undefined;
}

/**
 * A new session for a user whose row the caller's transaction holds (a password change: every old
 * session has just been revoked, and the owner goes on in this one), and this client remembered as a
 * known device and address, as a login remembers them.
 */
export async function startSessionInTransaction(
  db: Pick<ReturnType<typeof getDb>, 'execute'>,
  userId: string,
  client: LoginClient & { deviceToken: string },
): Promise<IssuedSession> {
  const lifetime = newSessionLifetime();
  const token = firstRefreshToken();
  // The change proved the password (not a second factor): the new session says so.
  const amr: Amr = ['pwd'];
  const { rows } = await db.execute<{ session_id: string }>(sql`
    with session as (${insertSession(sql`from ${users} where ${users.id} = ${userId}`, client, token, lifetime, amr)}),
      ${rememberClient(sql`select ${userId}::uuid as id from session`, client.deviceToken, client.address)}
    select session_id from session`);
  return { sessionId: rows[0]!.session_id, refreshToken: token.token, refreshExpiresIn: lifetime, amr };
}

export type RefreshResult =
  | ({ ok: true; userId: string } & IssuedSession)
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'inactive_user' | 'reused' };

/**
 * Rotates a refresh token, in one transaction. The session's row is locked first (FOR UPDATE) and read
 * under the lock, so concurrent refreshes of one session run one after the other and each sees what
 * the one before it committed: the second of two refreshes with one token finds it just spent and gets
 * the first one's successor (the grace path).
 */
export async function rotateRefreshToken(presented: string): Promise<RefreshResult> {
  const token = parseRefreshToken(presented);
  if (!token) return { ok: false, reason: 'unknown' };
  const auth = config().auth;

  return getDb().transaction(async (tx) => {
    const locked = await tx.execute<{
      session_id: string; user_id: string; amr: Amr; revoked: boolean; expired: boolean; is_active: boolean; expires_in: number; max_age_left: number;
      generation: number; is_live: boolean; is_retry: boolean; successor_ciphertext: string | null;
    }>(sql`
      select ${sessions.id} as session_id, ${sessions.userId} as user_id, ${sessions.amr} as amr, ${sessions.revokedAt} is not null as revoked,
             ${sessionExpired(auth.sessionMaxAge)} as expired,
             ${users.isActive} as is_active,
             floor(extract(epoch from ${sessions.expiresAt} - now()))::int as expires_in,
             floor(extract(epoch from ${sessions.createdAt} + make_interval(secs => ${auth.sessionMaxAge}) - now()))::int as max_age_left,
             ${sessions.refreshGeneration} as generation,
             coalesce(${sessions.refreshTokenHash} = ${token.hash}, false) as is_live,
             coalesce(${sessions.previousTokenHash} = ${token.hash}
                      and ${sessions.previousSpentAt} > now() - make_interval(secs => ${auth.refreshReuseGrace}), false) as is_retry,
             ${sessions.successorCiphertext} as successor_ciphertext
      from ${sessions}
      join ${users} on ${users.id} = ${sessions.userId}
      where ${sessions.refreshFamilyHash} = ${token.familyHash}
      for update of ${sessions}`);
    const session = locked.rows[0];
    if (!session) return { ok: false, reason: 'unknown' } as const;
    if (session.revoked) return { ok: false, reason: 'revoked' } as const;
    if (session.expired) return { ok: false, reason: 'expired' } as const;
    if (!session.is_active) return { ok: false, reason: 'inactive_user' } as const;

    const issued = { userId: session.user_id, sessionId: session.session_id, amr: session.amr };
    if (token.generation === session.generation - 1 && session.is_retry) {
      // The token spent just before the live one, again within the grace window (a second tab, a lost
      // answer): the live token, which nobody has spent yet, so there is never a second live branch.
      const live = session.successor_ciphertext ? openSuccessor(presented, session.successor_ciphertext) : undefined;
      if (!live) return { ok: false, reason: 'unknown' } as const;
      return { ok: true, ...issued, refreshToken: live, refreshExpiresIn: session.expires_in } as const;
    }
    const successor = token.generation === session.generation && session.is_live ? successorOf(token) : undefined;
    if (!successor) {
      // Any other token of this session (one spent earlier, or the one before the live one after the
      // grace window): someone holds a copy. End the session for everyone; this commits.
      await tx.execute(sql`update ${sessions} set ${s.revokedAt} = now() where ${sessions.id} = ${session.session_id}`);
      return { ok: false, reason: 'reused' } as const;
    }

    // Spend the presented token: the successor is live, the presented one is the one just spent (with
    // the successor sealed under it, for the grace path); the session's end moves on, never past its
    // max age.
    await tx.execute(sql`
      update ${sessions}
      set ${s.generation} = ${successor.generation}, ${s.tokenHash} = ${successor.hash},
          ${s.previousHash} = ${token.hash}, ${s.previousSpentAt} = now(),
          ${s.successorCiphertext} = ${sealSuccessor(presented, successor.token)},
          ${s.lastUsedAt} = now(),
          ${s.expiresAt} = least(now() + make_interval(secs => ${auth.refreshTokenTtl}),
                                 ${sessions.createdAt} + make_interval(secs => ${auth.sessionMaxAge}))
      where ${sessions.id} = ${session.session_id}`);
    const refreshExpiresIn = Math.min(auth.refreshTokenTtl, session.max_age_left);
    return { ok: true, ...issued, refreshToken: successor.token, refreshExpiresIn } as const;
  });
}

/**
 * The live session a refresh token (the live one or any spent one: its family and a generation the
 * session has reached) belongs to: logout with the refresh cookie. A spent one ends its session too,
 * since ending is never what a thief wants.
 */
export async function sessionOfRefreshToken(presented: string): Promise<{ userId: string; sessionId: string } | undefined> {
  const token = parseRefreshToken(presented);
  if (!token) return undefined;
  const [found] = await getDb()
    .select({ userId: sessions.userId, sessionId: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.refreshFamilyHash, token.familyHash),
        sql`${sessions.refreshGeneration} >= ${token.generation}`,
        sessionLive(),
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
    .where(and(eq(sessions.userId, userId), sessionLive()))
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
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), sessionLive()))
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

/**
 * npm run db:prune: deletes the sessions no request can use any more: expired ones, and those revoked
 * more than `keepRevoked` seconds ago (kept that long for inspection). Returns how many.
 */
export async function pruneSessions(keepRevoked: number): Promise<number> {
  const { rowCount } = await getDb().execute(sql`
    delete from ${sessions}
    where ${sessionExpired()} or ${sessions.revokedAt} < now() - make_interval(secs => ${keepRevoked})`);
  return rowCount ?? 0;
}
