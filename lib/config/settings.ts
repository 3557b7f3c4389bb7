import os from 'node:os';
import { parseDatabaseUrl } from './database-url';
import { parseChoice, parseDuration, parseEncryptionKey, parseInteger, parseLimit, parseOrigins, parseSecret, parseTrustProxy } from './parsers';

/** One declared setting: its parser (given the raw text when set) and its value when unset. */
export type Setting<T> = { parse: (raw: string, name: string) => T; unset: () => T };
const setting = <T>(unset: () => T, parse: (raw: string, name: string) => T): Setting<T> => ({ parse, unset });
const optional = <T>(parse: (raw: string, name: string) => T): Setting<T | undefined> => setting(() => undefined, parse);
const text = (fallback: string) => setting(() => fallback, (raw) => raw.trim());
const duration = (fallback: string, options?: { allowZero?: boolean }) =>
  setting(() => parseDuration(fallback, ''), (raw, name) => parseDuration(raw, name, options));
const limit = (fallback: string) => setting(() => parseLimit(fallback, ''), parseLimit);
const integer = (fallback: number | (() => number), min: number, max: number) =>
  setting(typeof fallback === 'number' ? () => fallback : fallback, (raw, name) => parseInteger(raw, name, min, max));

/** The settings, by variable name. Their meaning and defaults are documented in the README's table. */
export const SETTINGS = {
  // Database
  DATABASE_URL: optional((raw, name) => parseDatabaseUrl(raw, name)),
  DATABASE_URL_UNPOOLED: optional((raw, name) => parseDatabaseUrl(raw, name)),
  NEON_WS_PROXY: optional((raw) => raw.trim()),
  DB_POOL_MAX: integer(10, 1, 1000),
  // Tokens and sessions
  JWT_SECRET: optional(parseSecret),
  JWT_PREVIOUS_SECRETS: setting(() => [] as Uint8Array[], (raw, name) =>
    raw.split(/[\s,]+/).filter(Boolean).map((secret) => parseSecret(secret, name)),
  ),
  JWT_PRIVATE_KEY: optional((raw) => raw.trim()),
  JWT_RETIRED_PUBLIC_KEYS: optional((raw) => raw.trim()),
  JWT_ISSUER: text('neon-next-auth'),
  JWT_AUDIENCE: text('neon-next-auth-api'),
  ACCESS_TOKEN_TTL: duration('15m'),
  REFRESH_TOKEN_TTL: duration('30d'),
  REFRESH_REUSE_GRACE: duration('10s', { allowZero: true }),
  SESSION_MAX_AGE: duration('90d'),
  // Links sent by email (single use; only their SHA-256 is stored)
  PASSWORD_RESET_TTL: duration('30m'),
  EMAIL_VERIFICATION_TTL: duration('24h'),
  // Two-factor authentication (TOTP secrets are stored encrypted under this key)
  TOTP_ENCRYPTION_KEY: optional(parseEncryptionKey),
  // Passwords
  BCRYPT_COST: integer(12, 10, 15),
  BCRYPT_WORKERS: integer(() => Math.min(os.availableParallelism(), 64), 0, 64),
  // Rate limits
  RATE_LIMIT: setting(() => 'on' as const, (raw, name) => parseChoice(raw, name, ['on', 'off'] as const)),
  RATE_LIMIT_LOGIN: limit('30/1m'),
  RATE_LIMIT_REGISTER: limit('20/1h'),
  RATE_LIMIT_REFRESH: limit('60/1m'),
  RATE_LIMIT_FORGOT: limit('10/1h'),
  RATE_LIMIT_FORGOT_EMAIL: limit('3/1h'),
  RATE_LIMIT_FORGOT_EMAIL_TOTAL: limit('10/1h'),
  RATE_LIMIT_RESEND: limit('3/1h'),
  LOGIN_FAILURES_BEFORE_BACKOFF: integer(5, 1, 1000),
  LOGIN_BACKOFF_MAX: duration('15m'),
  LOGIN_ACCOUNT_MAX_FAILURES: limit('20/1h'),
  RATE_LIMIT_MAX_ROWS: integer(100_000, 20, 1_000_000_000),
  // HTTP
  TRUST_PROXY: optional(parseTrustProxy),
  /** Set by Vercel on its platform: the client address then comes from its own header. */
  VERCEL: setting(() => false, (raw) => raw.trim() !== '' && raw.trim() !== '0'),
  CORS_ORIGINS: setting(() => [] as string[], parseOrigins),
  // Mail (checked together, with NODE_ENV, by readMailConfig in lib/config/mail.ts)
  SMTP_URL: optional((raw) => raw.trim()),
  MAIL_FROM: optional((raw) => raw.trim()),
  MAIL_REPLY_TO: optional((raw) => raw.trim()),
  APP_URL: optional((raw) => raw.trim()),
  APP_NAME: optional((raw) => raw.trim()),
  MAIL_RESET_PATH: optional((raw) => raw.trim()),
  MAIL_VERIFY_PATH: optional((raw) => raw.trim()),
  EMAIL_VERIFICATION: optional((raw) => raw.trim()),
  // Maintenance (npm run db:prune)
  PRUNE_REVOKED_AFTER: duration('7d'),
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['unset']> };

