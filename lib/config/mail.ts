import { ConfigError } from './error';

type Env = Record<string, string | undefined>;
import { isLocalHost } from './database-url';

/**
 * The mail section of the configuration (lib/config/index.ts declares the variables and calls this): the
 * settings depend on each other and on NODE_ENV (production requires a real server, sender and
 * front-end address), so they are derived together here. Pure: the caller passes the environment.
 */
export type MailConfig = {
  /** 'off' only when SMTP_URL=off: flows that need mail answer mail_disabled, notices are skipped. */
  mode: 'smtp' | 'off';
  /** The SMTP server, as nodemailer reads it (smtp://USER:PASS@HOST:587, smtps://...:465); null when off. */
  smtpUrl: string | null;
  /** In production, refuse to send over a plain connection to a remote server (STARTTLS required). */
  requireTls: boolean;
  /** The From header: "Name <address>" or an address. */
  from: string;
  /** Reply-To, when replies reach someone; the notices then say "reply to this email". */
  replyTo: string | null;
  /** The name the messages sign with. */
  appName: string;
  /** The front end the links point at: APP_URL, without a trailing slash. */
  appUrl: string;
  /** Pages of the front end that read the `token` query parameter. */
  paths: { resetPassword: string; verifyEmail: string };
  emailVerification: EmailVerification;
};

export type EmailVerification = 'off' | 'optional' | 'required';

export const DEV_SMTP_URL = 'smtp://127.0.0.1:1025';
const DEV_APP_URL = 'http://localhost:3000';
const DEV_FROM = 'neon-next-auth <no-reply@localhost>';

const SMTP_URL_HELP =
  'Set it to your mail provider\'s SMTP address, e.g. SMTP_URL=smtps://USER:PASSWORD@smtp.example.com:465 ' +
  '(or smtp://USER:PASSWORD@smtp.example.com:587 for STARTTLS; URL-encode special characters in the password), ' +
  'or SMTP_URL=off to run without mail (no password reset or email verification; EMAIL_VERIFICATION must then be off).';

function readSmtpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Never the value itself: it holds the password.
    throw new ConfigError(`SMTP_URL is not a valid URL. ${SMTP_URL_HELP}`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(`SMTP_URL must start with smtp:// or smtps:// (found ${url.protocol}//). ${SMTP_URL_HELP}`);
  }
  if (!url.hostname) throw new ConfigError(`SMTP_URL must name a host. ${SMTP_URL_HELP}`);
  return raw;
}

/** "Name <a@b.c>" or "a@b.c"; the address part is what matters to the provider. */
const ADDRESS = /^(?:[^<>@]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/;

function readAddress(name: string, value: string): string {
  if (!ADDRESS.test(value)) {
    throw new ConfigError(`${name} must be an email address, e.g. ${name}="Example <no-reply@example.com>" or ${name}=no-reply@example.com (got "${value}").`);
  }
  return value;
}

function readAppUrl(raw: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`APP_URL is not a valid URL: set it to your front end's address, e.g. APP_URL=https://app.example.com (got "${raw}").`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`APP_URL must start with https:// (got "${raw}").`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`APP_URL must be a plain address without query, fragment or credentials, e.g. https://app.example.com (got "${raw}").`);
  }
  // The links carry tokens that log a user in: never over plain HTTP to another machine.
  if (production && url.protocol === 'http:' && !isLocalHost(url.hostname)) {
    throw new ConfigError(`APP_URL must use https:// in production: reset and verification links carry a token (got "${raw}").`);
  }
  return url.href.replace(/\/+$/, '');
}

function readPath(name: string, value: string): string {
  if (!/^\/[^\s?#]*$/.test(value)) {
    throw new ConfigError(
      `${name} must be a path starting with /, without query or fragment: the page of your front end that reads the token query parameter (got "${value}").`,
    );
  }
  return value;
}

function readEmailVerification(raw: string | undefined, mode: MailConfig['mode']): EmailVerification {
  const value = raw?.trim().toLowerCase() || (mode === 'off' ? 'off' : 'optional');
  if (value !== 'off' && value !== 'optional' && value !== 'required') {
    throw new ConfigError(`EMAIL_VERIFICATION must be off, optional or required (got "${raw}").`);
  }
  if (mode === 'off' && value !== 'off') {
    throw new ConfigError(
      `EMAIL_VERIFICATION=${value} needs mail, but SMTP_URL=off. Set EMAIL_VERIFICATION=off, or set SMTP_URL to your mail provider's SMTP address.`,
    );
  }
  return value;
}

export function readMailConfig(env: Env): MailConfig {
  const production = env.NODE_ENV === 'production';
  const rawSmtp = env.SMTP_URL?.trim();
  if (!rawSmtp && production) throw new ConfigError(`SMTP_URL is not set. ${SMTP_URL_HELP}`);
  const mode = rawSmtp?.toLowerCase() === 'off' ? 'off' : 'smtp';
  // Outside production an unset SMTP_URL means the local catcher (`npm run dev` passes its address).
  const smtpUrl = mode === 'off' ? null : rawSmtp ? readSmtpUrl(rawSmtp) : DEV_SMTP_URL;
  const smtpHost = smtpUrl ? new URL(smtpUrl).hostname.replace(/^\[|\]$/g, '') : '';

  // With mail on, production needs both: a sender the provider accepts, and links that reach the front end.
  const rawFrom = env.MAIL_FROM?.trim();
  if (!rawFrom && production && mode === 'smtp') {
    throw new ConfigError('MAIL_FROM is not set. Set it to a sender address your mail provider accepts, e.g. MAIL_FROM="Example <no-reply@example.com>".');
  }
  const rawAppUrl = env.APP_URL?.trim();
  if (!rawAppUrl && production && mode === 'smtp') {
    throw new ConfigError(
      'APP_URL is not set. Set it to the address of your front end, e.g. APP_URL=https://app.example.com: password-reset and verification links point there.',
    );
  }
  const appUrl = readAppUrl(rawAppUrl || DEV_APP_URL, production);
  const replyTo = env.MAIL_REPLY_TO?.trim();

  return {
    mode,
    smtpUrl,
    requireTls: production && smtpUrl !== null && smtpUrl.startsWith('smtp:') && !isLocalHost(smtpHost),
    from: readAddress('MAIL_FROM', rawFrom || DEV_FROM),
    replyTo: replyTo ? readAddress('MAIL_REPLY_TO', replyTo) : null,
    appName: env.APP_NAME?.trim() || new URL(appUrl).host,
    appUrl,
    paths: {
      resetPassword: readPath('MAIL_RESET_PATH', env.MAIL_RESET_PATH?.trim() || '/reset-password'),
      verifyEmail: readPath('MAIL_VERIFY_PATH', env.MAIL_VERIFY_PATH?.trim() || '/verify-email'),
    },
    emailVerification: readEmailVerification(env.EMAIL_VERIFICATION, mode),
  };
}
