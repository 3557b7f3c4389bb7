import { config } from '../../config';
import type { MailConfig } from '../../config/mail';
import { AuthFailure } from '../errors';

/**
 * What SMTP_URL=off means for the account flows, decided here once: a request whose whole point is a
 * message fails with mail_disabled (requireMailOn), and a notice is skipped (notify.ts). Apart from
 * notify.ts, which needs Next.js's `after()`, so that tests can import it.
 */
export function mailIsOff(mail: MailConfig = config().mail): boolean {
  return mail.mode === 'off';
}

export function requireMailOn(mail: MailConfig = config().mail): void {
  if (mailIsOff(mail)) throw new AuthFailure('mail_disabled');
}
