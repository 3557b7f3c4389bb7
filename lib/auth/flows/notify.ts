import { config } from '../../config';
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
} from '../../mail/messages';
import { requireMail } from '../../mail/send';
import { linkLifetime } from '../store/account-tokens';

/**
 * The messages the account flows send, in one place. Each is sent after the response (lib/mail), so
 * neither an answer nor its timing depends on the mail server; with SMTP_URL=off nothing is sent.
 * For request handlers only (`after()` needs a request).
 */

/** Throws AuthFailure('mail_disabled') when SMTP_URL=off: for requests whose whole point is a message. */
export function requireMailOn(): void {
  requireMail(config().mail);
}

export function sendPasswordReset(to: string, token: string): void {
  const { mail } = config();
  sendAfterResponse(to, passwordResetMessage(mail, { token, expiresIn: linkLifetime('password_reset') }), mail);
}

export function sendEmailVerification(to: string, token: string): void {
  const { mail } = config();
  sendAfterResponse(to, verifyEmailMessage(mail, { token, expiresIn: linkLifetime('email_verification') }), mail);
}

/** The security notice after a password change or reset: what to do if it was not the owner. */
export function sendPasswordChanged(to: string): void {
  const { mail } = config();
  sendAfterResponse(to, passwordChangedMessage(mail), mail);
}

/** EMAIL_VERIFICATION=required: a sign-up with a taken email tells its owner instead of the caller. */
export function sendSignupAttempt(to: string): void {
  const { mail } = config();
  sendAfterResponse(to, signupAttemptMessage(mail), mail);
}

export function sendAccountDeleted(to: string): void {
  const { mail } = config();
  sendAfterResponse(to, accountDeletedMessage(mail), mail);
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
