import { bearerToken } from '../wire/bearer';
import { AuthFailure } from '../errors';
import { verifyAccessToken, type AccessClaims } from '../crypto/access-tokens';
import { findUserAndSession, type PublicUser } from '../store/users';

/**
 * The stateless check: a valid access token (signature, algorithm, kid, typ, iss, aud, exp), no
 * database. proxy.ts runs this in front of the protected routes.
 */
export async function requireToken(request: Request): Promise<AccessClaims> {
  const token = bearerToken(request);
  if (token === undefined) throw new AuthFailure('missing_token');
  return verifyAccessToken(token);
}

export type Authenticated = { user: PublicUser; sessionId: string };

/**
 * The spec's "token verification dependency", run for every endpoint declared with `auth: 'user'`
 * (lib/http/endpoint.ts), whatever proxy.ts did (a proxy can be misconfigured or bypassed, so a handler
 * never trusts a header). It verifies the token, then reads the user and the token's session in one
 * query: a deleted or deactivated user, or a logged-out session, is refused before the token expires.
 */
export async function requireUser(request: Request): Promise<Authenticated> {
  const claims = await requireToken(request);
  const found = await findUserAndSession(claims.sub, claims.sid);
  if (!found || !found.user.is_active) throw new AuthFailure('invalid_token', 'The account behind this token is no longer active.');
  if (!found.sessionLive) throw new AuthFailure('invalid_token', 'The session of this token has ended; log in again.');
  return { user: found.user, sessionId: claims.sid };
}
