import { randomUUID } from 'node:crypto';
import { SignJWT, base64url, type JWTPayload } from 'jose';
import { secretKid } from '../../lib/auth/tokens';

/**
 * Signs a token the way the server does, with the test server's secret (and its kid, unless `kid` says
 * otherwise; null for none), for tampering with one part.
 */
export async function signToken(
  claims: JWTPayload,
  options: { secret?: string | Uint8Array; alg?: string; typ?: string; kid?: string | null; expiresIn?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const secret = typeof options.secret === 'object' ? options.secret : new TextEncoder().encode(options.secret ?? process.env.TEST_JWT_SECRET);
  const kid = options.kid === undefined && (options.alg ?? 'HS256') === 'HS256' ? secretKid(secret) : options.kid;
  return new SignJWT({ iss: 'neon-next-auth', aud: 'neon-next-auth-api', iat: now, exp: now + (options.expiresIn ?? 900), jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: options.typ ?? 'at+jwt', ...(kid ? { kid } : {}) })
    .sign(secret);
}

/** An unsigned token: {"alg":"none"}. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part(claims)}.`;
}
