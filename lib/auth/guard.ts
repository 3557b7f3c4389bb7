import { bearerToken, unauthorized } from './bearer';
import { InvalidTokenError, verifyAccessToken, type AccessClaims } from './tokens';
import { findUserAndSession, type PublicUser } from './users';

/**
 * The stateless check: a valid access token (signature, algorithm, typ, iss, aud, exp), no database.
 * proxy.ts runs this in front of the protected routes. Throws 401 with the RFC 6750 challenge.
 */
export async function requireToken(request: Request): Promise<AccessClaims> {
  const token = bearerToken(request);
  if (token === undefined) throw unauthorized();
  try {
    return await verifyAccessToken(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthorized(error.message);
    throw error;
  }
}

export type Authenticated = { user: PublicUser; sessionId: string };

/**
 * The spec's "token verification dependency": every protected handler calls it itself, whatever
 * proxy.ts did (the proxy can be misconfigured or bypassed, so a handler never trusts a header).
 * It verifies the token, then reads the user and the token's session in one query: a deleted or
 * deactivated user, or a logged-out session, is refused even while the token has not expired.
 */
export async function requireUser(request: Request): Promise<Authenticated> {
  const claims = await requireToken(request);
  if (!claims.sid) throw unauthorized('The access token is invalid.');
  const found = await findUserAndSession(claims.sub, claims.sid);
  if (!found || !found.user.is_active) throw unauthorized('The account behind this token is no longer active.');
  if (!found.sessionLive) throw unauthorized('The session of this token has ended; log in again.');
  return { user: found.user, sessionId: claims.sid };
}
