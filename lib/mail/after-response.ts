import { after } from 'next/server';
import { config as appConfig } from '../config';
import type { MailConfig } from '../config/mail';
import type { MailMessage } from './messages';
import { sendQuietly } from './send';

const mailConfig = () => appConfig().mail;

/**
 * For route handlers: sends once the answer has gone out (`after()`, which serverless hosts wait for),
 * so the answer's content and timing never depend on the mail server, and a failure is only logged.
 * Whether to send at all with SMTP_URL=off is the caller's decision (lib/auth/flows/mail-off.ts). Its own
 * module because tests import send.ts outside Next.js.
 */
export function sendAfterResponse(to: string, message: MailMessage, config: MailConfig = mailConfig()): void {
  after(() => sendQuietly(to, message, config).then(() => undefined));
}
