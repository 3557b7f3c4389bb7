import { config } from '../../config';
import type { MailConfig } from '../../config/mail';
import { sendAfterResponse } from '../../mail/after-response';
import {
  accountDeletedMessage,
  passwordChangedMessage,
  passwordResetMessage,
  signupAttemptMessage,
  verifyEmailMessage,
  type MailMessage,
} from '../../mail/messages';
import { AuthFailure } from '../errors';
import { linkLifetime } from '../store/account-tokens';

/**
 * The messages the account flows send, in one place. Each is sent after the response (lib/mail), so
 * neither an answer nor its timing depends on the mail server; with SMTP_URL=off nothing is sent.
 * For request handlers only (`after()` needs a request).
 */

/**
 * What SMTP_URL=off means, decided here once: a request whose whole point is a message fails with
 * mail_disabled (requireMailOn), and a notice is skipped (notice).
 */
export function requireMailOn(mail: MailConfig = config().mail): void {
  if (mail.mode === 'off') throw new AuthFailure('mail_disabled');
}

function notice(to: string, message: (mail: MailConfig) => MailMessage): void {
  const { mail } = config();
  if (mail.mode === 'off') return;
  sendAfterResponse(to, message(mail), mail);
}

export function sendPasswordReset(to: string, token: string): void {
  notice(to, (mail) => passwordResetMessage(mail, { token, expiresIn: linkLifetime('password_reset') }));
}

export function sendEmailVerification(to: string, token: string): void {
  notice(to, (mail) => verifyEmailMessage(mail, { token, expiresIn: linkLifetime('email_verification') }));
}

/** The security notice after a password change or reset: what to do if it was not the owner. */
export function sendPasswordChanged(to: string): void {
  notice(to, (mail) => passwordChangedMessage(mail));
}

/** EMAIL_VERIFICATION=required: a sign-up with a taken email tells its owner instead of the caller. */
export function sendSignupAttempt(to: string): void {
  notice(to, (mail) => signupAttemptMessage(mail));
}

export function sendAccountDeleted(to: string): void {
  notice(to, (mail) => accountDeletedMessage(mail));
}
