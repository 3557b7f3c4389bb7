import { bearerToken, unauthorized } from './bearer';
import { InvalidTokenError, verifyAccessToken, type AccessClaims } from './tokens';
import { findUserById, type PublicUser } from './users';

/**
 * The token check every protected handler runs itself, whatever proxy.ts did: the proxy can be
 * misconfigured or bypassed, so a handler never trusts a header alone. Throws 401 with the
 * RFC 6750 challenge; returns the verified claims.
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

/** requireToken, then the user from the database: gone or deactivated users are refused too. */
export async function requireUser(request: Request): Promise<PublicUser> {
  const claims = await requireToken(request);
  const user = await findUserById(claims.sub);
  if (!user || !user.is_active) throw unauthorized('The account behind this token is no longer active.');
  return user;
}
