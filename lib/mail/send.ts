import { AuthFailure } from '../auth/errors';
import { config as appConfig } from '../config';
import type { MailConfig } from '../config/mail';

const mailConfig = () => appConfig().mail;
import type { MailKind, MailMessage } from './messages';
import { mailTransport } from './transport';

/** A send that failed, described without the address, the token or the server's reply text. */
export class MailSendError extends Error {
  override name = 'MailSendError';
  constructor(
    readonly kind: MailKind,
    readonly domain: string,
    /** nodemailer's code (ECONNECTION, EAUTH, ETIMEDOUT, EENVELOPE...), the socket's, and the SMTP reply code. */
    readonly reason: string,
  ) {
    super(`mail: could not send ${kind} to a recipient at ${domain}: ${reason}`);
  }
}

/** The part after the last @: enough to tell "all of one provider fails" from one bad address. */
export function recipientDomain(to: string): string {
  const at = to.lastIndexOf('@');
  return at < 0 ? '(no domain)' : to.slice(at + 1).replace(/>.*$/, '').trim().toLowerCase() || '(no domain)';
}

/**
 * Codes only: a server's reply text can quote the recipient ("550 <bob@example.com>: no such user"),
 * and an error's message can too.
 */
function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; originalCode?: unknown; responseCode?: unknown; name?: unknown };
  const parts = [e.code, e.originalCode].filter((p): p is string => typeof p === 'string' && /^[A-Z0-9_]+$/.test(p));
  if (typeof e.responseCode === 'number') parts.push(`SMTP ${e.responseCode}`);
  return parts.length ? [...new Set(parts)].join(' ') : typeof e.name === 'string' ? e.name : 'unknown error';
}

/** Throws AuthFailure('mail_disabled') when SMTP_URL=off: for flows that cannot work without mail. */
export function requireMail(config: MailConfig = mailConfig()): void {
  if (config.mode === 'off') throw new AuthFailure('mail_disabled');
}

/**
 * Sends now and waits (for the CLI and tests). Throws AuthFailure('mail_disabled') when mail is off,
 * MailSendError when the server could not be reached or refused the message.
 */
export async function sendMail(to: string, message: MailMessage, config: MailConfig = mailConfig()): Promise<void> {
  requireMail(config);
  try {
    await mailTransport(config).sendMail({
      from: config.from,
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      // Lets a provider's logs, and the tests, tell the messages apart without reading them.
      headers: { 'X-Mail-Kind': message.kind },
    });
  } catch (error) {
    throw new MailSendError(message.kind, recipientDomain(to), reasonOf(error));
  }
}

/** Sends and never throws: a failure is logged with the kind and the recipient's domain only. */
export async function sendQuietly(to: string, message: MailMessage, config: MailConfig = mailConfig()): Promise<boolean> {
  try {
    await sendMail(to, message, config);
    return true;
  } catch (error) {
    console.error(
      error instanceof MailSendError ? error.message : `mail: could not send ${message.kind} to a recipient at ${recipientDomain(to)}: ${reasonOf(error)}`,
    );
    return false;
  }
}
