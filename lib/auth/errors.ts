/**
 * What can go wrong in the auth logic, as domain errors: modules under lib/auth throw these and never
 * choose an HTTP status. The HTTP edge (lib/http/failures.ts) turns each kind into one answer.
 */
export type AuthFailureKind =
  /** No bearer token was sent (the bare RFC 6750 challenge). */
  | 'missing_token'
  /** A bearer token was sent but is malformed, forged, expired or for an ended session. */
  | 'invalid_token'
  /** Login: unknown email or wrong password (one answer for both). */
  | 'invalid_credentials'
  /** Login with the right password on a deactivated account. */
  | 'inactive_user'
  /** Login with the right password while EMAIL_VERIFICATION=required and the email is unverified. */
  | 'email_not_verified'
  /** A password check on an authenticated request (change, deletion) failed. */
  | 'incorrect_password'
  /** A refresh token that is unknown, expired, revoked, reused or of a deactivated user. */
  | 'invalid_grant'
  /** Registration of an email that already has an account (only where the mode may say so). */
  | 'email_taken'
  /** A password-reset or email-verification token that is unknown, used, expired or superseded. */
  | 'invalid_link_token'
  /** DELETE /auth/sessions/{id}: the user has no live session with that id (theirs or not: one answer). */
  | 'session_not_found'
  /** A new verification message was asked for an email that is verified already. */
  | 'already_verified'
  /** Login's second step: a wrong, reused or expired TOTP code or recovery code. */
  | 'invalid_code'
  /** A signed-in request's TOTP or recovery code (turning 2FA off, setting it up again) is wrong. */
  | 'incorrect_code'
  /** Setting up 2FA again while it is on, without a code of the current authenticator. */
  | 'code_required'
  /** An mfa_token that is unknown, expired, used or out of tries. */
  | 'invalid_mfa_token'
  /** Confirming 2FA with no setup started. */
  | 'no_pending_setup'
  /** An operation on 2FA (recovery codes, turning it off) while it is off. */
  | 'two_factor_not_enabled'
  /** Too many attempts; `retryAfter` says when to try again. */
  | 'rate_limited'
  /** The password-hashing queue is full. */
  | 'server_busy'
  /** The operation needs mail, and mail is turned off (SMTP_URL=off). */
  | 'mail_disabled';

export class AuthFailure extends Error {
  override name = 'AuthFailure';
  constructor(
    readonly kind: AuthFailureKind,
    /** A sentence for the client where the kind alone does not say it (invalid_token's description). */
    readonly detail?: string,
    /** Seconds until a retry can succeed (rate_limited, server_busy). */
    readonly retryAfter?: number,
  ) {
    super(detail ?? kind);
  }
}

export const rateLimited = (retryAfter: number) => new AuthFailure('rate_limited', undefined, Math.max(1, Math.ceil(retryAfter)));
