import { errors, jwtVerify, SignJWT } from 'jose';
import { authConfig } from './config';

/** Pinned: a token is accepted only if signed with this algorithm (RFC 8725 section 3.1). */
export const ACCESS_TOKEN_ALG = 'HS256';
/** RFC 9068 access-token type, checked on verify so that no other kind of JWT passes for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** sid: the login session the token belongs to (see sessions). */
export type AccessClaims = { sub: string; sid?: string; jti: string; iat: number; exp: number };

let key: Promise<CryptoKey> | undefined;

/** The HMAC key, imported once per process (importing per request costs ~30% of a verify). */
function signingKey(): Promise<CryptoKey> {
  return (key ??= crypto.subtle.importKey(
    'raw',
    authConfig().secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  ));
}

export async function issueAccessToken(
  userId: string,
  sessionId?: string,
): Promise<{ token: string; expiresIn: number }> {
  const config = authConfig();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT(sessionId ? { sid: sessionId } : {})
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP })
    .setSubject(userId)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + config.accessTokenTtl)
    .setJti(crypto.randomUUID())
    .sign(await signingKey());
  return { token, expiresIn: config.accessTokenTtl };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Verifies signature, algorithm, typ, iss, aud, exp (and nbf if present); returns the claims. */
export async function verifyAccessToken(token: string): Promise<AccessClaims> {
  const config = authConfig();
  try {
    const { payload } = await jwtVerify(token, await signingKey(), {
      algorithms: [ACCESS_TOKEN_ALG],
      typ: ACCESS_TOKEN_TYP,
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      clockTolerance: 5,
    });
    if (!UUID.test(String(payload.sub)) || (payload.sid !== undefined && !UUID.test(String(payload.sid)))) {
      throw new InvalidTokenError('The access token is invalid.');
    }
    return payload as AccessClaims;
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof errors.JWTExpired) throw new InvalidTokenError('The access token has expired.');
    if (error instanceof errors.JOSEError) throw new InvalidTokenError('The access token is invalid.');
    throw error;
  }
}
