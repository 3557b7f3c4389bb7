import { errors, importJWK, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { authConfig, type SigningConfig } from './config';
import type { PublicJwk } from './keys';

/** RFC 9068 access-token type, checked on verify so that no other kind of JWT passes for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** sid: the login session the token belongs to (see sessions). */
export type AccessClaims = { sub: string; sid?: string; jti: string; iat: number; exp: number };

type VerifyKey = { alg: string; key: CryptoKey };

/** The keys of this process, imported once (importing per request costs ~30% of a verify). */
type Keys = {
  alg: string;
  kid?: string;
  /** Every algorithm some configured key uses: jose refuses any other before looking for a key. */
  algorithms: string[];
  signingKey: CryptoKey;
  /** The key for a token's header: pinned to its own algorithm (RFC 8725 section 3.1), chosen by kid. */
  verifyKey(header: JWTHeaderParameters): VerifyKey | undefined;
};

async function importKeys(signing: SigningConfig): Promise<Keys> {
  if (signing.alg === 'HS256') {
    const key = await crypto.subtle.importKey(
      'raw',
      signing.secret as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return { alg: 'HS256', algorithms: ['HS256'], signingKey: key, verifyKey: (header) => (header.alg === 'HS256' ? { alg: 'HS256', key } : undefined) };
  }
  // Asymmetric: only the configured public keys (current and retired) verify; HS256 never does, so
  // nobody holding an old JWT_SECRET can mint a token this server accepts.
  const byKid = new Map<string, VerifyKey>();
  for (const jwk of signing.publicJwks) byKid.set(jwk.kid, { alg: jwk.alg, key: (await importJWK(jwk, jwk.alg)) as CryptoKey });
  return {
    alg: signing.alg,
    kid: signing.kid,
    algorithms: [...new Set(signing.publicJwks.map((jwk) => jwk.alg))],
    signingKey: (await importJWK(signing.privateJwk, signing.alg)) as CryptoKey,
    verifyKey: (header) => {
      const entry = header.kid === undefined ? undefined : byKid.get(header.kid);
      return entry && entry.alg === header.alg ? entry : undefined;
    },
  };
}

let keys: Promise<Keys> | undefined;

function processKeys(): Promise<Keys> {
  return (keys ??= importKeys(authConfig().signing));
}

export async function issueAccessToken(
  userId: string,
  sessionId?: string,
): Promise<{ token: string; expiresIn: number }> {
  const config = authConfig();
  const { alg, kid, signingKey } = await processKeys();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT(sessionId ? { sid: sessionId } : {})
    .setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYP, ...(kid ? { kid } : {}) })
    .setSubject(userId)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + config.accessTokenTtl)
    .setJti(crypto.randomUUID())
    .sign(signingKey);
  return { token, expiresIn: config.accessTokenTtl };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** Verifies signature, algorithm, kid, typ, iss, aud, exp (and nbf if present); returns the claims. */
export async function verifyAccessToken(token: string): Promise<AccessClaims> {
  const config = authConfig();
  const { algorithms, verifyKey } = await processKeys();
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const entry = verifyKey(header);
        if (!entry) throw new InvalidTokenError('The access token is invalid.');
        return entry.key;
      },
      {
        algorithms,
        typ: ACCESS_TOKEN_TYP,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        clockTolerance: 5,
      },
    );
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

/** The public keys to publish at /.well-known/jwks.json; none with HS256 (a shared secret is never published). */
export function publicJwks(): { keys: PublicJwk[] } {
  const { signing } = authConfig();
  return { keys: signing.alg === 'HS256' ? [] : signing.publicJwks };
}
