import { randomUUID } from 'node:crypto';
import { SignJWT, base64url, type JWTPayload } from 'jose';
import { secretKid } from '../../lib/auth/crypto/access-tokens';

/**
 * Signs a token the way the server does, with the test server's secret (and its kid, unless `kid` says
 * otherwise; null for none), for tampering with one part. A claim given as undefined is left out;
 * `typ: null` leaves the type out.
 */
export async function signToken(
  claims: JWTPayload,
  options: { secret?: string | Uint8Array; alg?: string; typ?: string | null; kid?: string | null; expiresIn?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const secret = typeof options.secret === 'object' ? options.secret : new TextEncoder().encode(options.secret ?? process.env.TEST_JWT_SECRET);
  const kid = options.kid === undefined && (options.alg ?? 'HS256') === 'HS256' ? secretKid(secret) : options.kid;
  return new SignJWT({ iss: 'neon-next-auth', aud: 'neon-next-auth-api', iat: now, exp: now + (options.expiresIn ?? 900), jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.typ === null ? {} : { typ: options.typ ?? 'at+jwt' }), ...(kid ? { kid } : {}) })
    .sign(secret);
}

/** The kid the server gives its HS256 secret (the test server's unless another is given). */
export const serverKid = (secret = process.env.TEST_JWT_SECRET!) => secretKid(new TextEncoder().encode(secret));

const part = (value: unknown) => base64url.encode(JSON.stringify(value));

/** An unsigned token: {"alg":"none"} (and any other header members given). */
export function unsignedToken(claims: JWTPayload, header: Record<string, unknown> = {}): string {
  return `${part({ alg: 'none', typ: 'at+jwt', ...header })}.${part(claims)}.`;
}

/** The token with its payload replaced, header and signature kept: what a tamperer can make. */
export function withPayload(token: string, change: (claims: JWTPayload) => JWTPayload): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as JWTPayload;
  return `${header}.${part(change(claims))}.${signature}`;
}
