import { ConfigError } from './error';

/** The value parsers the settings are declared with: each names the variable and says what to write. */

/** "900", "900s", "15m", "12h", "30d" -> seconds. */
export function parseDuration(value: string, name: string, { allowZero = false } = {}): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < (allowZero ? 0 : 1)) {
    throw new ConfigError(`${name} must be a duration such as 900, 15m, 12h or 30d (got "${value}").`);
  }
  return seconds;
}

export type Limit = { max: number; windowSeconds: number };

/** "30/1m" -> 30 per 60 s. */
export function parseLimit(value: string, name: string): Limit {
  const [max, window] = value.split('/');
  const count = Number(max);
  if (!Number.isInteger(count) || count < 1 || !window) {
    throw new ConfigError(`${name} must look like 30/1m (30 requests per minute); got "${value}".`);
  }
  return { max: count, windowSeconds: parseDuration(window, name) };
}

export function parseInteger(value: string, name: string, min: number, max: number): number {
  const number = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${value}").`);
  }
  return number;
}

export function parseChoice<const T extends string>(value: string, name: string, choices: readonly T[]): T {
  const choice = value.trim().toLowerCase() as T;
  if (!choices.includes(choice)) throw new ConfigError(`${name} must be one of ${choices.join(', ')} (got "${value}").`);
  return choice;
}

/** TRUST_PROXY: how many proxies you run in front append to X-Forwarded-For ("true" = 1). */
export function parseTrustProxy(value: string, name: string): number {
  const text = value.trim().toLowerCase();
  if (text === 'false' || text === '0') return 0;
  if (text === 'true') return 1;
  const hops = Number(text);
  if (!Number.isInteger(hops) || hops < 1) {
    throw new ConfigError(`${name} must be a number of proxies (1, 2...), true (= 1) or false; got "${value}".`);
  }
  return hops;
}

export function parseOrigins(value: string, name: string): string[] {
  const origins = value.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {}
    if (!url || url.origin !== origin) {
      throw new ConfigError(`${name} must list origins like https://app.example.com, comma-separated, without paths or a trailing slash (got "${origin}").`);
    }
  }
  return origins;
}

const MIN_SECRET_BYTES = 32;
export const SECRET_HELP =
  'Make one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\'))" ' +
  'and set it as JWT_SECRET (in .env.local for development, in the host\'s settings in production). Or set JWT_PRIVATE_KEY instead to sign with a key pair (see the README, Deploy).';

export function parseSecret(value: string, name: string): Uint8Array {
  const bytes = new TextEncoder().encode(value.trim());
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new ConfigError(`${name} is too short: ${bytes.byteLength} bytes, at least ${MIN_SECRET_BYTES} needed. ${SECRET_HELP}`);
  }
  return bytes;
}

const TOTP_KEY_HELP =
  'Make one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\'))" ' +
  'and set it as TOTP_ENCRYPTION_KEY (npm run dev writes one to .env.local; in production, the host\'s settings). ' +
  'Keep it: the two-factor secrets stored under it cannot be read without it.';

/** What to do when TOTP_ENCRYPTION_KEY is missing. */
export const TOTP_KEY_MISSING = `TOTP_ENCRYPTION_KEY is not set. ${TOTP_KEY_HELP}`;

/** TOTP_ENCRYPTION_KEY: 32 random bytes, base64url (or base64, or 64 hex digits). */
export function parseEncryptionKey(value: string, name: string): Uint8Array {
  const text = value.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  if (bytes.byteLength !== 32 || !/^[A-Za-z0-9_\-+/=]+$/.test(text)) {
    throw new ConfigError(`${name} must be 32 random bytes, base64url (43 characters) or 64 hex digits; got ${bytes.byteLength} bytes. ${TOTP_KEY_HELP}`);
  }
  return new Uint8Array(bytes);
}
