import { errors, importJWK, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { createHash } from 'node:crypto';
import { config, signingConfig, type SigningConfig } from '../../config';
import { AuthFailure } from '../errors';
import type { PublicJwk } from '../../config/signing-keys';

/** RFC 9068 access-token type, checked on verify so that no other kind of JWT passes for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * sid: the login session the token belongs to (see sessions). Every access token has one. amr: how
 * that login proved who it was (RFC 8176): ["pwd"], or ["pwd", "otp"] with two-factor.
 */
export type AccessClaims = { sub: string; sid: string; jti: string; iat: number; exp: number; amr?: string[] };

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
    // Each secret is named by a kid derived from it, so that tokens signed with a previous secret
    // (JWT_PREVIOUS_SECRETS) still verify during a rotation, and a token names the one key to try.
    const byKid = new Map<string, VerifyKey>();
    let signingKey: CryptoKey | undefined;
    for (const secret of [signing.secret, ...signing.previousSecrets]) {
      const key = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
      byKid.set(secretKid(secret), { alg: 'HS256', key });
      signingKey ??= key;
    }
    return {
      alg: 'HS256',
      kid: secretKid(signing.secret),
      algorithms: ['HS256'],
      signingKey: signingKey!,
      verifyKey: (header) => (header.alg === 'HS256' && header.kid !== undefined ? byKid.get(header.kid) : undefined),
    };
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

/** The kid of an HS256 secret: 16 characters of its SHA-256, which says nothing about the secret. */
export function secretKid(secret: Uint8Array): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 16);
}

// Imported once per process; on globalThis because Next.js bundles proxy.ts and each route separately.
const holder = globalThis as typeof globalThis & { __authKeys?: Promise<Keys> };

function processKeys(): Promise<Keys> {
  return (holder.__authKeys ??= importKeys(signingConfig()));
}

export async function issueAccessToken(userId: string, sessionId: string, amr: readonly string[] = ['pwd']): Promise<{ token: string; expiresIn: number }> {
  const settings = config().auth;
  const { alg, kid, signingKey } = await processKeys();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sid: sessionId, amr: [...amr] })
    .setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYP, ...(kid ? { kid } : {}) })
    .setSubject(userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + settings.accessTokenTtl)
    .setJti(crypto.randomUUID())
    .sign(signingKey);
  return { token, expiresIn: settings.accessTokenTtl };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalid = (detail = 'The access token is invalid.') => new AuthFailure('invalid_token', detail);

/**
 * Verifies signature, algorithm, kid, typ, iss, aud, exp (and nbf if present) and that sub and sid are
 * UUIDs; returns the claims, or throws AuthFailure invalid_token.
 */
export async function verifyAccessToken(token: string): Promise<AccessClaims> {
  const settings = config().auth;
  const { algorithms, verifyKey } = await processKeys();
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const entry = verifyKey(header);
        if (!entry) throw invalid();
        return entry.key;
      },
      {
        algorithms,
        typ: ACCESS_TOKEN_TYP,
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
        clockTolerance: 5,
      },
    );
    if (!UUID.test(String(payload.sub)) || !UUID.test(String(payload.sid))) throw invalid();
    return payload as AccessClaims;
  } catch (error) {
    if (error instanceof AuthFailure) throw error;
    if (error instanceof errors.JWTExpired) throw invalid('The access token has expired.');
    if (error instanceof errors.JOSEError) throw invalid();
    throw error;
  }
}

/** The public keys to publish at /.well-known/jwks.json; none with HS256 (a shared secret is never published). */
export function publicJwks(): { keys: PublicJwk[] } {
  const signing = signingConfig();
  return { keys: signing.alg === 'HS256' ? [] : signing.publicJwks };
}
