/**
 * The HTTP edge's one table from domain failures (lib/auth/errors.ts) to answers: status, stable code,
 * a message a user can act on, and headers. Nothing under lib/auth chooses a status.
 */
import type { AuthFailure, AuthFailureKind } from '../auth/errors';
import { HttpError } from './errors';

/** The realm named in WWW-Authenticate challenges (RFC 6750 section 3). */
export const REALM = 'neon-next-auth';

const seconds = (n: number) => (n === 1 ? '1 second' : `${n} seconds`);

const retryAfter = (failure: AuthFailure) => ({ 'Retry-After': String(failure.retryAfter ?? 1) });

const ANSWERS: Record<AuthFailureKind, (failure: AuthFailure) => HttpError> = {
  // RFC 6750: without a token, only the realm (the client did not try); with a bad one, invalid_token
  // and a description. The description sits in a quoted header parameter: the failures that carry one
  // (lib/auth/flows/guard.ts, lib/auth/crypto/access-tokens.ts) hold no quote or backslash.
  missing_token: () =>
    new HttpError(401, 'unauthorized', 'Send an access token: Authorization: Bearer <token>.', {
      'WWW-Authenticate': `Bearer realm="${REALM}"`,
    }),
  invalid_token: ({ detail = 'The access token is invalid.' }) =>
    new HttpError(401, 'invalid_token', detail, {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${detail}"`,
    }),
  invalid_credentials: () =>
    new HttpError(401, 'invalid_credentials', 'Incorrect email or password', { 'WWW-Authenticate': 'Bearer' }),
  inactive_user: () => new HttpError(403, 'inactive_user', 'This account is deactivated.'),
  email_not_verified: () =>
    new HttpError(403, 'email_not_verified', 'Verify your email first: open the link we sent you. For a new link, POST your email to /auth/email/resend ({"email": "..."}).'),
  // 403, not 401: the access token is fine; a 401 would make clients refresh and retry.
  incorrect_password: () => new HttpError(403, 'incorrect_password', 'The current password is incorrect.'),
  invalid_grant: () => new HttpError(401, 'invalid_grant', 'The refresh token is invalid, expired or revoked. Log in again.'),
  email_taken: () => new HttpError(409, 'email_taken', 'An account with this email already exists. Log in instead.'),
  invalid_link_token: () =>
    new HttpError(400, 'invalid_token', 'This link is invalid, expired or already used. Ask for a new one.'),
  session_not_found: () => new HttpError(404, 'not_found', 'None of your live sessions has this id: see GET /auth/sessions.'),
  already_verified: () => new HttpError(409, 'already_verified', 'This email address is verified already: there is nothing to confirm.'),
  invalid_code: () =>
    new HttpError(401, 'invalid_code', 'The code is incorrect, expired or already used (each code works once: after using one, wait for the next). Enter the current code from your authenticator app, or a recovery code.'),
  // 403 as incorrect_password: the access token is fine.
  incorrect_code: () =>
    new HttpError(403, 'invalid_code', 'The code is incorrect, expired or already used (each code works once: after using one, wait for the next). Enter the current code from your authenticator app, or a recovery code.'),
  code_required: () =>
    new HttpError(422, 'validation_error', 'Some fields are invalid: see "fields".', {}, {
      code: 'Two-factor is on: send a code of your current authenticator app with the password.',
    }),
  invalid_mfa_token: () =>
    new HttpError(401, 'invalid_mfa_token', 'This sign-in step expired, was used or had too many tries. Log in again with your password.'),
  no_pending_setup: () =>
    new HttpError(409, 'no_pending_setup', 'There is no two-factor setup to confirm: start with POST /auth/2fa/totp/setup.'),
  two_factor_not_enabled: () =>
    new HttpError(409, 'two_factor_not_enabled', 'Two-factor authentication is off for this account: turn it on with POST /auth/2fa/totp/setup.'),
  rate_limited: (failure) =>
    new HttpError(429, 'rate_limited', `Too many attempts. Try again in ${seconds(failure.retryAfter ?? 1)}.`, retryAfter(failure)),
  server_busy: (failure) =>
    new HttpError(503, 'server_busy', 'Too many password checks in progress. Try again shortly.', retryAfter(failure)),
  mail_disabled: () =>
    new HttpError(501, 'mail_disabled', 'This server sends no email (SMTP_URL=off), so this is not available. Ask an administrator.'),
};

export function httpErrorFor(failure: AuthFailure): HttpError {
  return ANSWERS[failure.kind](failure);
}
