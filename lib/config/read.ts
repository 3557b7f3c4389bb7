import { clientAddressSource, type ClientAddressConfig } from './client-address';
import { ConfigError } from './error';
import type { Env } from './env';
import { readMailConfig, type MailConfig } from './mail';
import { TOTP_KEY_MISSING, type Limit } from './parsers';
import { productionProblems } from './production';
import { SETTINGS, type Setting, type Settings } from './settings';
import { signingOf, type SigningConfig } from './signing';

/**
 * Reading the environment: every setting of SETTINGS parsed, then the configuration the app asks for
 * assembled from them (with what the derived parsers make of them: signing, mail, client address).
 */

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

export type Config = {
  /** unpooledUrl: Neon's direct host, for migrations only (DATABASE_URL_UNPOOLED). */
  database: { url?: URL; unpooledUrl?: URL; poolMax: number; wsProxy?: string };
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
    /** rate_limits rows past which clients without a row of their own share buckets (lib/auth/limits/window.ts). */
    maxRows: number;
  };
  http: { clientAddress: ClientAddressConfig; corsOrigins: string[] };
  mail: MailConfig;
  maintenance: { pruneRevokedAfter: number };
};

/**
 * The whole configuration, from the settings and the checks that span several of them. `strict` (a
 * production start) adds productionProblems. Throws one ConfigError listing every problem.
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
  const totpKeyProblem = s.TOTP_ENCRYPTION_KEY || env.TOTP_ENCRYPTION_KEY?.trim() ? undefined : TOTP_KEY_MISSING;
  if (strict) problems.push(...productionProblems(s, { signing: signing.problem, totpKey: totpKeyProblem }, env));
  if (problems.length === 1) throw new ConfigError(problems[0]!);
  if (problems.length > 1) throw new ConfigError(`${problems.length} settings need fixing:\n- ${problems.join('\n- ')}`);
  return {
    database: { url: s.DATABASE_URL, unpooledUrl: s.DATABASE_URL_UNPOOLED, poolMax: s.DB_POOL_MAX, wsProxy: s.NEON_WS_PROXY },
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

