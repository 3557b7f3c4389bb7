import { after } from 'next/server';
import { config as appConfig } from '../config';
import type { MailConfig } from '../config/mail';

const mailConfig = () => appConfig().mail;
import type { MailMessage } from './messages';
import { sendQuietly } from './send';

/**
 * For route handlers: sends once the answer has gone out (`after()`, which serverless hosts wait for),
 * so the answer's content and timing never depend on the mail server, and a failure is only logged.
 * With SMTP_URL=off it sends nothing (notices are skipped; call requireMail() first where mail is the
 * point of the request). Its own module because tests import send.ts outside Next.js.
 */
export function sendAfterResponse(to: string, message: MailMessage, config: MailConfig = mailConfig()): void {
  if (config.mode === 'off') return;
  after(() => sendQuietly(to, message, config).then(() => undefined));
}
