/**
 * Every environment variable the server reads, declared once: parsed and checked here, with a default
 * and a message per bad value that names the variable and says what to write. Nothing else in lib/ or
 * app/ reads process.env for a setting. `.env.example` and the README's configuration table list
 * exactly the names in SETTINGS (tests/unit/config.spec.ts compares them).
 *
 * Read lazily (on first use, or at server start by instrumentation.ts), so that `next build` needs no
 * secret. A production start checks everything at once and lists every problem (lib/startup.ts).
 */
import os from 'node:os';
import { readAsymmetricKeys, type AsymmetricKeys } from './signing-keys';
import { parseDatabaseUrl } from './database-url';
import { readMailConfig, type MailConfig } from './mail';
import { ConfigError } from './error';

export { ConfigError };

/**
 * Where the client address for rate limits comes from (lib/http/client-address.ts reads it):
 * `warnOnForwardedFor`: TRUST_PROXY was left unset, so an X-Forwarded-For suggests a forgotten proxy.
 */
export type ClientAddressConfig =
  | { source: 'peer'; warnOnForwardedFor: boolean }
  | { source: 'x-forwarded-for'; proxies: number }
  | { source: 'platform' };

/** TRUST_PROXY, when set (even to false), decides; VERCEL only changes the default. */
export function clientAddressSource(trustProxy: number | undefined, onVercel: boolean): ClientAddressConfig {
  if (trustProxy !== undefined) {
    return trustProxy > 0 ? { source: 'x-forwarded-for', proxies: trustProxy } : { source: 'peer', warnOnForwardedFor: false };
  }
  if (onVercel) return { source: 'platform' };
  return { source: 'peer', warnOnForwardedFor: true };
}

/** Environment variables, as process.env or a plain object in tests. */
export type Env = Record<string, string | undefined>;

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

function parseInteger(value: string, name: string, min: number, max: number): number {
  const number = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${value}").`);
  }
  return number;
}

function parseChoice<const T extends string>(value: string, name: string, choices: readonly T[]): T {
  const choice = value.trim().toLowerCase() as T;
  if (!choices.includes(choice)) throw new ConfigError(`${name} must be one of ${choices.join(', ')} (got "${value}").`);
  return choice;
}

/** TRUST_PROXY: how many proxies you run in front append to X-Forwarded-For ("true" = 1). */
function parseTrustProxy(value: string, name: string): number {
  const text = value.trim().toLowerCase();
  if (text === 'false' || text === '0') return 0;
  if (text === 'true') return 1;
  const hops = Number(text);
  if (!Number.isInteger(hops) || hops < 1) {
    throw new ConfigError(`${name} must be a number of proxies (1, 2...), true (= 1) or false; got "${value}".`);
  }
  return hops;
}

function parseOrigins(value: string, name: string): string[] {
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

export const MIN_SECRET_BYTES = 32;
const SECRET_HELP =
  'Make one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\'))" ' +
  'and set it as JWT_SECRET (in .env.local for development, in the host\'s settings in production). Or set JWT_PRIVATE_KEY instead to sign with a key pair (see the README, Deploy).';

function parseSecret(value: string, name: string): Uint8Array {
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

/** TOTP_ENCRYPTION_KEY: 32 random bytes, base64url (or base64, or 64 hex digits). */
function parseEncryptionKey(value: string, name: string): Uint8Array {
  const text = value.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  if (bytes.byteLength !== 32 || !/^[A-Za-z0-9_\-+/=]+$/.test(text)) {
    throw new ConfigError(`${name} must be 32 random bytes, base64url (43 characters) or 64 hex digits; got ${bytes.byteLength} bytes. ${TOTP_KEY_HELP}`);
  }
  return new Uint8Array(bytes);
}

/** One declared setting: its parser (given the raw text when set) and its value when unset. */
type Setting<T> = { parse: (raw: string, name: string) => T; unset: () => T };
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

/** Every setting parsed; problems collected, not thrown, so that a start can list them all at once. */
export function readSettings(env: Env): { settings: Settings; problems: string[] } {
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, { parse, unset }] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const raw = env[name];
    try {
      settings[name] = raw === undefined || raw.trim() === '' ? unset() : parse(raw, name);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      settings[name] = unset();
    }
  }
  return { settings: settings as Settings, problems };
}

/**
 * How access tokens are signed: HS256 with JWT_SECRET (the default: one service issues and verifies;
 * JWT_PREVIOUS_SECRETS still verify during a rotation), or EdDSA/ES256 with JWT_PRIVATE_KEY, whose
 * public half other services fetch from /.well-known/jwks.json.
 */
export type SigningConfig = { alg: 'HS256'; secret: Uint8Array; previousSecrets: Uint8Array[] } | AsymmetricKeys;

export type Config = {
  database: { url?: URL; poolMax: number; wsProxy?: string };
  auth: {
    /** Undefined when no key is configured: issuing or verifying a token then fails with signingProblem. */
    signing?: SigningConfig;
    signingProblem?: string;
    issuer: string;
    audience: string;
    accessTokenTtl: number; // seconds
    refreshTokenTtl: number; // seconds a session lasts past its last refresh
    refreshReuseGrace: number; // seconds a spent refresh token may be presented again (lost answer)
    sessionMaxAge: number; // seconds a session may last from its login, refreshes or not
    passwordResetTtl: number; // seconds a password-reset link works
    emailVerificationTtl: number; // seconds an email-verification link works
  };
  passwords: { bcryptCost: number; bcryptWorkers: number };
  /** The AES-256-GCM key of the TOTP secrets; undefined (then `problem` says what to set) when unset. */
  /**
   * issuer: the name authenticator apps list the account under: APP_NAME, else the package's name
   * (an otpauth URI's issuer cannot hold a colon, so none is kept).
   */
  twoFactor: { encryptionKey?: Uint8Array; problem?: string; issuer: string };
  rateLimit: {
    enabled: boolean;
    loginPerAddress: Limit;
    registerPerAddress: Limit;
    refreshPerAddress: Limit;
    /** Password-reset requests per client address, and per email asked about (past it: 202, nothing sent). */
    forgotPerAddress: Limit;
    forgotPerEmail: Limit; // reset mails per email and client address (network)
    forgotPerEmailTotal: Limit; // reset mails per email from addresses the account has not logged in from
    /** New verification messages per account. */
    resendPerUser: Limit;
    loginFailuresFree: number;
    loginBackoffMax: number;
    /**
     * Checked wrong passwords one account takes per window from addresses still within their free
     * allowance (all addresses together); the window is also how long failures are remembered.
     */
    loginAccountFailures: Limit;
    /** rate_limits rows past which clients without a row of their own share buckets (lib/auth/limits/password-backoff.ts). */
    maxRows: number;
  };
  http: { clientAddress: ClientAddressConfig; corsOrigins: string[] };
  mail: MailConfig;
  maintenance: { pruneRevokedAfter: number };
};

function signingOf(settings: Settings, env: Env): { signing?: SigningConfig; problem?: string } {
  // With a private key, JWT_SECRET is neither needed nor used: no HS256 token is issued or accepted.
  const keys = readAsymmetricKeys(env);
  if (keys) return { signing: keys };
  if (!settings.JWT_SECRET) {
    return env.JWT_SECRET?.trim() ? {} : { problem: `JWT_SECRET is not set. ${SECRET_HELP}` };
  }
  return { signing: { alg: 'HS256', secret: settings.JWT_SECRET, previousSecrets: settings.JWT_PREVIOUS_SECRETS } };
}

/**
 * The whole configuration. `strict` (a production start) also requires what a serving process cannot
 * do without: a database and a signing key. Throws one ConfigError listing every problem.
 */
export function readConfig(env: Env, { strict = false } = {}): Config {
  const { settings: s, problems } = readSettings(env);
  let signing: ReturnType<typeof signingOf> = {};
  try {
    signing = signingOf(s, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
  }
  let mail: MailConfig | undefined;
  try {
    mail = readMailConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
  }
  // One address may use its whole free allowance at an account: it must stay below the account's cap,
  // or a single address could stop the account's owner from logging in anywhere.
  if (s.LOGIN_ACCOUNT_MAX_FAILURES.max <= s.LOGIN_FAILURES_BEFORE_BACKOFF) {
    problems.push(
      `LOGIN_ACCOUNT_MAX_FAILURES allows ${s.LOGIN_ACCOUNT_MAX_FAILURES.max} failures per account, which must be more than ` +
        `LOGIN_FAILURES_BEFORE_BACKOFF (${s.LOGIN_FAILURES_BEFORE_BACKOFF}), the free attempts of one address: raise it (e.g. 20/1h) or lower LOGIN_FAILURES_BEFORE_BACKOFF.`,
    );
  }
  const totpKeyProblem = s.TOTP_ENCRYPTION_KEY || env.TOTP_ENCRYPTION_KEY?.trim() ? undefined : `TOTP_ENCRYPTION_KEY is not set. ${TOTP_KEY_HELP}`;
  if (strict) {
    if (signing.problem) problems.push(signing.problem);
    if (totpKeyProblem) problems.push(totpKeyProblem);
    if (!s.DATABASE_URL && !env.DATABASE_URL?.trim()) {
      try {
        parseDatabaseUrl(undefined, 'DATABASE_URL');
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  if (problems.length === 1) throw new ConfigError(problems[0]!);
  if (problems.length > 1) throw new ConfigError(`${problems.length} settings need fixing:\n- ${problems.join('\n- ')}`);
  return {
    database: { url: s.DATABASE_URL, poolMax: s.DB_POOL_MAX, wsProxy: s.NEON_WS_PROXY },
    auth: {
      signing: signing.signing,
      signingProblem: signing.problem,
      issuer: s.JWT_ISSUER,
      audience: s.JWT_AUDIENCE,
      accessTokenTtl: s.ACCESS_TOKEN_TTL,
      refreshTokenTtl: s.REFRESH_TOKEN_TTL,
      refreshReuseGrace: s.REFRESH_REUSE_GRACE,
      sessionMaxAge: s.SESSION_MAX_AGE,
      passwordResetTtl: s.PASSWORD_RESET_TTL,
      emailVerificationTtl: s.EMAIL_VERIFICATION_TTL,
    },
    passwords: { bcryptCost: s.BCRYPT_COST, bcryptWorkers: s.BCRYPT_WORKERS },
    twoFactor: { encryptionKey: s.TOTP_ENCRYPTION_KEY, problem: totpKeyProblem, issuer: (s.APP_NAME || 'neon-next-auth').replaceAll(':', '') },
    rateLimit: {
      enabled: s.RATE_LIMIT === 'on',
      loginPerAddress: s.RATE_LIMIT_LOGIN,
      registerPerAddress: s.RATE_LIMIT_REGISTER,
      refreshPerAddress: s.RATE_LIMIT_REFRESH,
      forgotPerAddress: s.RATE_LIMIT_FORGOT,
      forgotPerEmail: s.RATE_LIMIT_FORGOT_EMAIL,
      forgotPerEmailTotal: s.RATE_LIMIT_FORGOT_EMAIL_TOTAL,
      resendPerUser: s.RATE_LIMIT_RESEND,
      loginFailuresFree: s.LOGIN_FAILURES_BEFORE_BACKOFF,
      loginBackoffMax: s.LOGIN_BACKOFF_MAX,
      loginAccountFailures: s.LOGIN_ACCOUNT_MAX_FAILURES,
      maxRows: s.RATE_LIMIT_MAX_ROWS,
    },
    http: { clientAddress: clientAddressSource(s.TRUST_PROXY, s.VERCEL), corsOrigins: s.CORS_ORIGINS },
    mail: mail!,
    maintenance: { pruneRevokedAfter: s.PRUNE_REVOKED_AFTER },
  };
}

// Kept on globalThis: Next.js bundles instrumentation, proxy and each route separately, and they must
// all see one configuration.
const holder = globalThis as typeof globalThis & { __authConfig?: Config };

/** This process's configuration, read from process.env on first use. */
export function config(): Config {
  return (holder.__authConfig ??= readConfig(process.env));
}

/** The signing setup, or the ConfigError that says what to set. */
export function signingConfig(): SigningConfig {
  const { signing, signingProblem } = config().auth;
  if (!signing) throw new ConfigError(signingProblem ?? 'No signing key is configured.');
  return signing;
}

/** The database URL, or the ConfigError that says what to set. */
export function databaseUrlSetting(): URL {
  return config().database.url ?? parseDatabaseUrl(undefined, 'DATABASE_URL');
}
