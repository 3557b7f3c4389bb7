import nodemailer, { type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { MailConfig } from '../config/mail';

/**
 * nodemailer's defaults wait up to 2 minutes to connect and 10 to send; a send runs after the answer,
 * but on a serverless host it still holds the function open, so a stuck server must give up sooner.
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

type Slot = { key: string; transport: Transporter };

// On globalThis so that `next dev` reloading this module does not make a new transport each time.
const store = globalThis as typeof globalThis & { __mailTransport?: Slot };

/**
 * The SMTP transport for SMTP_URL, made on first use (never at start: an unreachable mail server must
 * not stop the app) and then reused. One connection per message, no pool: mail is rare, and a pooled
 * connection would outlive a serverless invocation. Options in SMTP_URL's query win over ours.
 */
export function mailTransport(config: Pick<MailConfig, 'smtpUrl' | 'requireTls'>): Transporter {
  if (!config.smtpUrl) throw new Error('mailTransport: mail is turned off (SMTP_URL=off)');
  const key = `${config.requireTls}:${config.smtpUrl}`;
  if (store.__mailTransport?.key !== key) {
    store.__mailTransport?.transport.close();
    const options = { ...TIMEOUTS, ...(config.requireTls ? { requireTLS: true } : {}), ...parseConnectionUrl(config.smtpUrl) };
    store.__mailTransport = { key, transport: nodemailer.createTransport(options) };
  }
  return store.__mailTransport.transport;
}
