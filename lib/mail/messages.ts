import type { MailConfig } from '../config/mail';

/**
 * The messages the service sends, each as plain text plus simple HTML with the same words. Every
 * message says what to do if the reader did not cause it.
 */
export type MailKind =
  | 'password_reset'
  | 'verify_email'
  | 'password_changed'
  | 'signup_attempt'
  | 'account_deleted'
  | 'two_factor_enabled'
  | 'two_factor_disabled'
  | 'recovery_code_used'
  | 'recovery_codes_replaced';

export type MailMessage = { kind: MailKind; subject: string; text: string; html: string };

/** The part of the mail settings the wording and links depend on. */
export type MessageSettings = Pick<MailConfig, 'appName' | 'appUrl' | 'paths' | 'replyTo'>;

/** APP_URL + path + ?token=..., e.g. https://app.example.com/reset-password?token=abc */
export function linkWithToken(appUrl: string, path: string, token: string): string {
  const url = new URL(appUrl + path);
  url.searchParams.set('token', token);
  return url.href;
}

/** 3600 -> "1 hour", 1800 -> "30 minutes", 172800 -> "2 days". */
export function describeDuration(seconds: number): string {
  const [count, unit] =
    seconds % 86400 === 0 ? [seconds / 86400, 'day'] : seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : [Math.max(1, Math.round(seconds / 60)), 'minute'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A paragraph is a string; a link paragraph is [label, href]. */
type Block = string | { label: string; href: string };

function compose(kind: MailKind, subject: string, settings: MessageSettings, blocks: Block[]): MailMessage {
  const all: Block[] = [...blocks, `— ${settings.appName}`];
  const text = all.map((b) => (typeof b === 'string' ? b : `${b.label}:\n${b.href}`)).join('\n\n') + '\n';
  const body = all
    .map((b) =>
      typeof b === 'string'
        ? `<p>${escapeHtml(b)}</p>`
        : `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.label)}</a></p>\n<p style="font-size:12px;color:#555">Or paste this address into your browser: ${escapeHtml(b.href)}</p>`,
    )
    .join('\n');
  const html = `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5;max-width:560px">\n${body}\n</body></html>\n`;
  return { kind, subject, text, html };
}

/** The sentence that tells someone who did not do this whom to tell. */
const tellUs = (settings: MessageSettings) =>
  settings.replyTo ? 'reply to this email right away' : `contact ${settings.appName} right away`;

export function passwordResetMessage(settings: MessageSettings, { token, expiresIn }: { token: string; expiresIn: number }): MailMessage {
  return compose('password_reset', `Reset your password for ${settings.appName}`, settings, [
    `We received a request to reset the password of your ${settings.appName} account.`,
    { label: 'Choose a new password', href: linkWithToken(settings.appUrl, settings.paths.resetPassword, token) },
    `The link works once and expires in ${describeDuration(expiresIn)}.`,
    'If you did not ask for this, ignore this email: your password stays as it is.',
  ]);
}

export function verifyEmailMessage(settings: MessageSettings, { token, expiresIn }: { token: string; expiresIn: number }): MailMessage {
  return compose('verify_email', `Confirm your email address for ${settings.appName}`, settings, [
    `Please confirm that this is the email address of your ${settings.appName} account.`,
    { label: 'Confirm my email address', href: linkWithToken(settings.appUrl, settings.paths.verifyEmail, token) },
    `The link expires in ${describeDuration(expiresIn)}.`,
    `If you did not create an account at ${settings.appName}, ignore this email: the address stays unconfirmed.`,
  ]);
}

export function passwordChangedMessage(settings: MessageSettings): MailMessage {
  return compose('password_changed', `Your ${settings.appName} password was changed`, settings, [
    `The password of your ${settings.appName} account was just changed.`,
    'If that was you, there is nothing else to do.',
    `If it was not you, someone else may know your password: reset it now with "Forgot password" at ${settings.appUrl}, and ${tellUs(settings)}.`,
  ]);
}

export function signupAttemptMessage(settings: MessageSettings): MailMessage {
  return compose('signup_attempt', `Someone tried to sign up with your email at ${settings.appName}`, settings, [
    `Someone tried to create a ${settings.appName} account with this email address, which already has one.`,
    `If that was you: sign in at ${settings.appUrl}, or use "Forgot password" there if you do not remember your password.`,
    'If it was not you, ignore this email: nothing has changed, and nobody can use your account without your password.',
  ]);
}

export function accountDeletedMessage(settings: MessageSettings): MailMessage {
  return compose('account_deleted', `Your ${settings.appName} account was deleted`, settings, [
    `Your ${settings.appName} account was deleted, as asked. You can no longer sign in with it.`,
    `If you did not delete it, someone else had your password: ${tellUs(settings)}.`,
  ]);
}

/** Two-factor notices: each change to how the account is protected, and each recovery code spent. */
export function twoFactorEnabledMessage(settings: MessageSettings): MailMessage {
  return compose('two_factor_enabled', `Two-factor authentication is on for your ${settings.appName} account`, settings, [
    `Signing in to your ${settings.appName} account now needs a code from your authenticator app after the password.`,
    'Keep the recovery codes you were shown somewhere safe and offline: each works once if you lose the device.',
    `If it was not you, someone else is signed in to your account: reset your password with "Forgot password" at ${settings.appUrl}, and ${tellUs(settings)}.`,
  ]);
}

export function twoFactorDisabledMessage(settings: MessageSettings): MailMessage {
  return compose('two_factor_disabled', `Two-factor authentication was turned off for your ${settings.appName} account`, settings, [
    `Signing in to your ${settings.appName} account needs only the password again.`,
    `If it was not you, reset your password now with "Forgot password" at ${settings.appUrl}, turn two-factor on again, and ${tellUs(settings)}.`,
  ]);
}

export function recoveryCodeUsedMessage(settings: MessageSettings, { remaining }: { remaining: number }): MailMessage {
  return compose('recovery_code_used', `A recovery code was used to sign in to ${settings.appName}`, settings, [
    `Someone signed in to your ${settings.appName} account with your password and one of your recovery codes. That code no longer works; ${remaining} remain.`,
    'If that was you (a lost or new phone?), set up your authenticator again and make new recovery codes when you can.',
    `If it was not you, your password and your recovery codes are known to someone: reset your password with "Forgot password" at ${settings.appUrl}, make new recovery codes, and ${tellUs(settings)}.`,
  ]);
}

export function recoveryCodesReplacedMessage(settings: MessageSettings): MailMessage {
  return compose('recovery_codes_replaced', `New recovery codes for your ${settings.appName} account`, settings, [
    `New recovery codes were made for your ${settings.appName} account; the earlier ones no longer work.`,
    `If it was not you, someone is signed in to your account: reset your password with "Forgot password" at ${settings.appUrl}, and ${tellUs(settings)}.`,
  ]);
}
