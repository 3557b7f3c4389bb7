import { config } from '../../config';
import type { MailConfig } from '../../config/mail';
import { sendAfterResponse } from '../../mail/after-response';
import {
  accountDeletedMessage,
  passwordChangedMessage,
  passwordResetMessage,
  recoveryCodesReplacedMessage,
  recoveryCodeUsedMessage,
  signupAttemptMessage,
  twoFactorDisabledMessage,
  twoFactorEnabledMessage,
  verifyEmailMessage,
  type MailMessage,
} from '../../mail/messages';
import { linkLifetime } from '../store/account-tokens';
import { mailIsOff } from './mail-off';

/**
 * The messages the account flows send, in one place. Each is sent after the response (lib/mail), so
 * neither an answer nor its timing depends on the mail server; with SMTP_URL=off nothing is sent.
 * For request handlers only (`after()` needs a request).
 */

function notice(to: string, message: (mail: MailConfig) => MailMessage): void {
  const { mail } = config();
  if (mailIsOff(mail)) return;
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

export function sendTwoFactorEnabled(to: string): void {
  const { mail } = config();
  sendAfterResponse(to, twoFactorEnabledMessage(mail), mail);
}

export function sendTwoFactorDisabled(to: string): void {
  const { mail } = config();
  sendAfterResponse(to, twoFactorDisabledMessage(mail), mail);
}

export function sendRecoveryCodeUsed(to: string, remaining: number): void {
  const { mail } = config();
  sendAfterResponse(to, recoveryCodeUsedMessage(mail, { remaining }), mail);
}

export function sendRecoveryCodesReplaced(to: string): void {
  const { mail } = config();
  sendAfterResponse(to, recoveryCodesReplacedMessage(mail), mail);
}
