import { ConfigError, type Env } from '../db/url';
import { readAsymmetricKeys, type AsymmetricKeys } from './keys';

/**
 * Auth settings from the environment, read once per process and checked. Read lazily (on first use,
 * or at server start by instrumentation.ts) so that `next build` needs no secret.
 */
export type AuthConfig = {
  signing: SigningConfig;
  issuer: string;
  audience: string;
  accessTokenTtl: number; // seconds
  refreshTokenTtl: number; // seconds a session lasts past its last refresh
  refreshReuseGrace: number; // seconds a spent refresh token may be presented again (lost answer)
  bcryptCost: number;
};

/**
 * How access tokens are signed: HS256 with JWT_SECRET (the default: one service that issues and
 * verifies), or EdDSA/ES256 with JWT_PRIVATE_KEY, whose public half other services can fetch from
 * /.well-known/jwks.json and verify with, without holding any secret.
 */
export type SigningConfig = { alg: 'HS256'; secret: Uint8Array } | AsymmetricKeys;

export const MIN_SECRET_BYTES = 32;
const SECRET_HELP =
  'Make one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\'))" ' +
  'and set it as JWT_SECRET (in .env.local for development, in the host\'s settings in production). Or set JWT_PRIVATE_KEY instead to sign with a key pair (see the README, Deploy).';

/** "900", "900s", "15m", "12h", "30d" -> seconds. */
export function parseDuration(value: string, name: string, { allowZero = false } = {}): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < (allowZero ? 0 : 1)) {
    throw new ConfigError(`${name} must be a duration such as 900, 15m, 12h or 30d (got "${value}").`);
  }
  return seconds;
}

function readSecret(env: Env): SigningConfig {
  const secret = env.JWT_SECRET ?? '';
  const secretBytes = new TextEncoder().encode(secret);
  if (!secret) throw new ConfigError(`JWT_SECRET is not set. ${SECRET_HELP}`);
  if (secretBytes.byteLength < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `JWT_SECRET is too short: ${secretBytes.byteLength} bytes, at least ${MIN_SECRET_BYTES} needed. ${SECRET_HELP}`,
    );
  }
  return { alg: 'HS256', secret: secretBytes };
}

export function readAuthConfig(env: Env = process.env): AuthConfig {
  // With a private key, JWT_SECRET is neither needed nor used: no HS256 token is issued or accepted.
  const signing = readAsymmetricKeys(env) ?? readSecret(env);
  const cost = Number(env.BCRYPT_COST ?? 12);
  if (!Number.isInteger(cost) || cost < 10 || cost > 15) {
    throw new ConfigError(`BCRYPT_COST must be a whole number from 10 to 15 (got "${env.BCRYPT_COST}").`);
  }
  return {
    signing,
    issuer: env.JWT_ISSUER?.trim() || 'neon-next-auth',
    audience: env.JWT_AUDIENCE?.trim() || 'neon-next-auth-api',
    accessTokenTtl: parseDuration(env.ACCESS_TOKEN_TTL ?? '15m', 'ACCESS_TOKEN_TTL'),
    refreshTokenTtl: parseDuration(env.REFRESH_TOKEN_TTL ?? '30d', 'REFRESH_TOKEN_TTL'),
    refreshReuseGrace: parseDuration(env.REFRESH_REUSE_GRACE ?? '10s', 'REFRESH_REUSE_GRACE', { allowZero: true }),
    bcryptCost: cost,
  };
}

let cached: AuthConfig | undefined;

export function authConfig(): AuthConfig {
  return (cached ??= readAuthConfig());
}
