/**
 * Every endpoint of the API, declared once: method, path, whether it needs a signed-in user, the
 * request body's schemas and the answers. From each declaration come the route's exports (with the JSON
 * 405 and OPTIONS), the body's parsing and validation, the user for protected endpoints
 * (lib/http/endpoint.ts), the OpenAPI document (lib/openapi/document.ts) and the list proxy.ts must
 * guard (tests/unit/endpoints.spec.ts). A route file under app/ only binds a handler to its declaration.
 */
import {
  accountDeletionRequest,
  emailVerificationRequest,
  errorResponse,
  forgotPasswordRequest,
  jwksResponse,
  loginForm,
  loginRequest,
  loginResponse,
  loginSecondFactorRequest,
  logoutRequest,
  messageResponse,
  mfaRequiredResponse,
  recoveryCodesRequest,
  recoveryCodesResponse,
  passwordChangeRequest,
  passwordResetRequest,
  passwordResetResponse,
  refreshForm,
  refreshRequest,
  registerRequest,
  resendVerificationRequest,
  sessionId,
  sessionListResponse,
  tokenResponse,
  totpConfirmRequest,
  totpDisableRequest,
  totpSetupRequest,
  totpSetupResponse,
  userResponse,
} from '../auth/wire/schemas';
import type { z } from 'zod';
import { healthResponse, serviceIndexResponse } from './service-schemas';

/** The schemas the OpenAPI document names (components/schemas); requests are shown as clients send them. */
export const schemas = {
  RegisterRequest: registerRequest,
  LoginRequest: loginRequest,
  LoginForm: loginForm,
  RefreshRequest: refreshRequest,
  RefreshForm: refreshForm,
  LogoutRequest: logoutRequest,
  PasswordChangeRequest: passwordChangeRequest,
  ForgotPasswordRequest: forgotPasswordRequest,
  PasswordResetRequest: passwordResetRequest,
  EmailVerificationRequest: emailVerificationRequest,
  AccountDeletionRequest: accountDeletionRequest,
  ResendVerificationRequest: resendVerificationRequest,
  LoginSecondFactorRequest: loginSecondFactorRequest,
  TotpSetupRequest: totpSetupRequest,
  TotpConfirmRequest: totpConfirmRequest,
  TotpDisableRequest: totpDisableRequest,
  RecoveryCodesRequest: recoveryCodesRequest,
  TotpSetup: totpSetupResponse,
  RecoveryCodes: recoveryCodesResponse,
  MfaRequired: mfaRequiredResponse,
  User: userResponse,
  SessionList: sessionListResponse,
  Message: messageResponse,
  Token: tokenResponse,
  LoginToken: loginResponse,
  PasswordReset: passwordResetResponse,
  Error: errorResponse,
  Health: healthResponse,
  ServiceIndex: serviceIndexResponse,
  JwkSet: jwksResponse,
};

export type SchemaName = keyof typeof schemas;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Endpoint = {
  method: Method;
  path: string;
  /**
   * 'user': needs `Authorization: Bearer <access token>` of a live session; the handler receives the
   * user. 'user-or-refresh-cookie': the same, or, without an Authorization header, the refresh cookie
   * (lib/http/refresh-cookie.ts: from an allowed origin only); the handler receives the session, if it
   * is still live. proxy.ts guards exactly the paths with either; 401 is documented for them.
   */
  auth?: 'user' | 'user-or-refresh-cookie';
  tag: 'auth' | 'service';
  summary: string;
  /**
   * The path parameters: one zod schema for each `{name}` in `path` (the route folder is `[name]`). A
   * value that fails its schema is answered 422 naming the parameter before the handler runs; the
   * handler receives `params` parsed and typed.
   */
  params?: Record<string, z.ZodType>;
  description?: string;
  /** The request body: JSON, and/or an application/x-www-form-urlencoded form (400, 413, 415, 422 then). */
  body?: { json: SchemaName; form?: SchemaName; optional?: true };
  /**
   * The success answer; no schema means a JSON object described elsewhere; 204 has no body. What the
   * handler returns is type-checked against the schema (lib/http/endpoint.ts).
   */
  ok: { status: 200 | 201 | 202 | 204; description: string; schema?: SchemaName };
  /**
   * Other statuses it can answer (500 is added to all). A bare number takes the usual description and
   * error codes of that status (lib/openapi/document.ts); `failure()` names this endpoint's own codes.
   * One with a schema other than Error is an answer the handler may return with `reply()`.
   */
  errors?: readonly (number | ErrorAnswer | OtherAnswer)[];
};

/** An error answer: the Error shape, with the codes (`error`) this endpoint sends with that status. */
export type ErrorAnswer = { status: number; description: string; codes: readonly string[] };
/**
 * A non-error answer besides the success one (register's 202), or an error with a body of its own;
 * with `codes`, the status also carries the Error shape with those codes (login's 403: mfa_required
 * with its token, or a refusal).
 */
export type OtherAnswer = { status: number; description: string; schema: SchemaName; codes?: readonly string[] };

const failure = (status: number, codes: readonly string[], description: string): ErrorAnswer => ({ status, codes, description });

/** 503 on an endpoint that hashes or checks a password: the database, or the hashing queue, is full. */
const BUSY = failure(503, ['service_unavailable', 'server_busy'], 'The database is unavailable (`service_unavailable`), or too many password checks are queued (`server_busy`); retry after Retry-After seconds.');
/** 405 on the service's own GET endpoints, their only client error: another method on the path. */
const GET_ONLY = failure(405, ['method_not_allowed'], 'Only GET and HEAD are answered at this path (the Allow header says so).');
const OAUTH_BODY_REFUSED = failure(400, ['malformed_json', 'malformed_body', 'unsupported_grant_type'], 'The body is not valid JSON, a form field appears twice, or the form names a grant_type this endpoint does not take (`unsupported_grant_type`, RFC 6749 section 5.2).');
/** 403 where the refresh cookie can authenticate: the request came from an origin it must not. */
const ORIGIN_REFUSED = failure(403, ['origin_not_allowed'], 'The refresh cookie was sent from an origin not in CORS_ORIGINS, or from another site.');
const LINK_REFUSED = failure(400, ['invalid_token', 'malformed_json', 'malformed_body'], '`invalid_token`: the link is unknown, malformed, expired, already used or superseded by a newer one; or the body is not valid JSON.');

const endpoint = <const E extends Endpoint>(declaration: E): E => declaration;

export const endpoints = {
  index: endpoint({
    method: 'GET', path: '/', tag: 'service',
    summary: 'What this service is and where to start',
    ok: { status: 200, description: 'The service name and its endpoints.', schema: 'ServiceIndex' },
    errors: [GET_ONLY],
  }),
  health: endpoint({
    method: 'GET', path: '/health', tag: 'service',
    summary: 'Whether the service and its database answer',
    ok: { status: 200, description: 'The database answered `select 1`.', schema: 'Health' },
    errors: [GET_ONLY, { status: 503, description: 'The database did not answer within 3 s.', schema: 'Health' }],
  }),
  openapi: endpoint({
    method: 'GET', path: '/openapi.json', tag: 'service',
    summary: 'This document (OpenAPI 3.1)',
    ok: { status: 200, description: 'The OpenAPI document.' },
    errors: [GET_ONLY],
  }),
  jwks: endpoint({
    method: 'GET', path: '/.well-known/jwks.json', tag: 'auth',
    summary: 'Public keys that verify access tokens (JWK Set)',
    description: 'Empty with HS256 (the default). With JWT_PRIVATE_KEY: the current key and any being retired.',
    ok: { status: 200, description: 'A JWK Set (RFC 7517).', schema: 'JwkSet' },
    errors: [GET_ONLY],
  }),
  register: endpoint({
    method: 'POST', path: '/auth/register', tag: 'auth',
    summary: 'Create an account',
    description:
      'With EMAIL_VERIFICATION=optional (the default) the new account is sent a verification link and can log in at once; ' +
      'with `required` the answer is 202, the same for a new and a taken email: the sign-up waits for its own link, which creates the account with this password ' +
      '(a newer sign-up voids the older; a verified account is never changed, its owner gets a notice).',
    body: { json: 'RegisterRequest' },
    ok: { status: 201, description: 'The new account.', schema: 'User' },
    errors: [
      { status: 202, description: 'EMAIL_VERIFICATION=required: a message went to the address (a link for the sign-up, or a notice to the owner of a verified account).', schema: 'Message' },
      failure(409, ['email_taken'], 'The email already has an account (not with EMAIL_VERIFICATION=required).'),
      429, BUSY,
    ],
  }),
  login: endpoint({
    method: 'POST', path: '/auth/login', tag: 'auth',
    summary: 'Log in: get an access token',
    description:
      'JSON `{email, password, device_token?}`, or the OAuth2 password grant form (RFC 6749 section 4.3) with `username`. ' +
      'Send the `device_token` an earlier login (or reset) answered: a known device, or an address the account logged in from in the last 30 days, ' +
      'is never held back by the cap on failed logins from elsewhere, only by its own back-off (LOGIN_FAILURES_BEFORE_BACKOFF free, then doubling). ' +
      'A browser front end on an origin in CORS_ORIGINS may add `"refresh_cookie": true`: the refresh token then comes as an httpOnly cookie, not in the body (403 `origin_not_allowed` from any other origin).',
    body: { json: 'LoginRequest', form: 'LoginForm' },
    ok: { status: 200, description: 'An access token and a refresh token, in a new session, and the device token to keep.', schema: 'LoginToken' },
    errors: [
      OAUTH_BODY_REFUSED,
      failure(401, ['invalid_credentials'], 'The email or the password is wrong (one answer for both).'),
      {
        status: 403,
        description:
          'The password is right and the account has two-factor on: `mfa_required` with an `mfa_token`, to finish at POST /auth/login/2fa. ' +
          'Or the password is right, but the account is deactivated (`inactive_user`) or its email is not verified yet (`email_not_verified`, EMAIL_VERIFICATION=required); or `refresh_cookie` was asked from an origin not in CORS_ORIGINS (`origin_not_allowed`).',
        schema: 'MfaRequired',
        codes: ['inactive_user', 'email_not_verified', 'origin_not_allowed'],
      },
      429, BUSY,
    ],
  }),
  loginSecondFactor: endpoint({
    method: 'POST', path: '/auth/login/2fa', tag: 'auth',
    summary: 'Finish a login with two-factor: the mfa_token and a code (or a recovery code)',
    description:
      'The `mfa_token` from the 403 of POST /auth/login works once, for 5 minutes and at most 5 tries; each try counts toward the ' +
      "account's login limits as a password would (the right password at POST /auth/login stands for the first). A TOTP code works once (one 30 s step of clock drift either way); a recovery code works once and its owner is mailed. " +
      'Send the `device_token` here too (as at the first step): a known device is then not held back by the account-wide cap at this step either. ' +
      'The answer is the login answer (`device_token` and `refresh_cookie` as there); its access tokens say `amr: ["pwd","otp"]`.',
    body: { json: 'LoginSecondFactorRequest' },
    ok: { status: 200, description: 'An access token and a refresh token, in a new session, and the device token for the next login.', schema: 'LoginToken' },
    errors: [
      failure(401, ['invalid_code', 'invalid_mfa_token'], '`invalid_code`: the code is wrong, expired or used; `invalid_mfa_token`: the token is unknown, expired, used or out of tries (log in again).'),
      failure(403, ['origin_not_allowed'], '`refresh_cookie` was asked from an origin not in CORS_ORIGINS.'),
      429, 503,
    ],
  }),
  refresh: endpoint({
    method: 'POST', path: '/auth/refresh', tag: 'auth',
    summary: 'Trade a refresh token for a new access and refresh pair',
    description:
      'The presented refresh token is spent. The token spent just before the live one, presented again within REFRESH_REUSE_GRACE ' +
      'of its use (a second tab, a lost answer), gets the live refresh token back with a fresh access token; any other spent token ' +
      'of the session, at any time, revokes the session (401 `invalid_grant`). ' +
      'No refresh moves a session past SESSION_MAX_AGE from its login. JSON `{refresh_token}` or the OAuth2 form with `grant_type=refresh_token` (RFC 6749 section 6). ' +
      'Without a refresh token in the body, the refresh cookie is used (same rules), and the new one comes back as the cookie.',
    body: { json: 'RefreshRequest', form: 'RefreshForm', optional: true },
    ok: { status: 200, description: 'A new pair in the same session.', schema: 'Token' },
    errors: [
      OAUTH_BODY_REFUSED,
      failure(401, ['invalid_grant'], 'The refresh token is unknown, expired, spent or revoked, or its account is deactivated: log in again.'),
      ORIGIN_REFUSED,
      429, 503,
    ],
  }),
  logout: endpoint({
    method: 'POST', path: '/auth/logout', tag: 'auth', auth: 'user-or-refresh-cookie',
    summary: 'End this session, or every session of the user',
    description:
      'With a bearer token, or (a browser, without an Authorization header) the refresh cookie: the session of either ends, and the cookie is cleared. ' +
      'The body is optional; `{"scope":"all"}` ends every session of the user.',
    body: { json: 'LogoutRequest', optional: true },
    ok: { status: 204, description: 'The session (or all of them) is revoked; the refresh cookie is cleared.' },
    errors: [ORIGIN_REFUSED, 503],
  }),
  changePassword: endpoint({
    method: 'POST', path: '/auth/password', tag: 'auth', auth: 'user',
    summary: 'Change the password; ends every session and starts a new one',
    description:
      'Every session of the account ends, the one of this token too (anyone who shares it is out); the answer is a new ' +
      "session's token pair, as a login's. A current password that does not match, or no longer matches because another " +
      'password write landed while it was checked, gets 403 `incorrect_password` and changes nothing.',
    body: { json: 'PasswordChangeRequest' },
    ok: { status: 200, description: 'The password is changed; every earlier session is revoked; a new session, as login answers it (device token included).', schema: 'LoginToken' },
    errors: [failure(403, ['incorrect_password'], 'The current password is wrong (or no longer the password: another write landed first).'), 429, BUSY],
  }),
  me: endpoint({
    method: 'GET', path: '/auth/me', tag: 'auth', auth: 'user',
    summary: 'The account the access token belongs to',
    ok: { status: 200, description: 'The current user.', schema: 'User' },
    errors: [503],
  }),
  deleteAccount: endpoint({
    method: 'DELETE', path: '/auth/me', tag: 'auth', auth: 'user',
    summary: 'Delete the account, with its password',
    description: 'Deletes the account and everything of it (sessions, refresh tokens, email links); the owner is told by email.',
    body: { json: 'AccountDeletionRequest' },
    ok: { status: 204, description: 'The account is gone.' },
    errors: [failure(403, ['incorrect_password'], 'The password is wrong.'), 429, BUSY],
  }),
  totpSetup: endpoint({
    method: 'POST', path: '/auth/2fa/totp/setup', tag: 'auth', auth: 'user',
    summary: 'Start turning on two-factor: a new TOTP secret and its QR code',
    description:
      'With the password (and, when two-factor is on already, a `code` of the current authenticator). The new secret is pending ' +
      'until POST /auth/2fa/totp/confirm; the current one keeps working until then. Issuer APP_NAME (default neon-next-auth), label the email; SHA1, 6 digits, 30 s.',
    body: { json: 'TotpSetupRequest' },
    ok: { status: 200, description: 'The secret, the otpauth:// URI and its QR code (SVG).', schema: 'TotpSetup' },
    errors: [failure(403, ['incorrect_password', 'invalid_code'], "The password is wrong, or the current authenticator's code is wrong or used."), 429, BUSY],
  }),
  totpConfirm: endpoint({
    method: 'POST', path: '/auth/2fa/totp/confirm', tag: 'auth', auth: 'user',
    summary: 'Turn two-factor on with a first code; get ten recovery codes',
    description:
      'The recovery codes are shown only in this answer and stored only hashed; earlier ones stop working. The owner is mailed. ' +
      'Each try counts toward the login limits as a password would, so an access token alone cannot try every code.',
    body: { json: 'TotpConfirmRequest' },
    ok: { status: 200, description: 'Two-factor is on: ten single-use recovery codes.', schema: 'RecoveryCodes' },
    errors: [
      failure(403, ['invalid_code'], 'Not a current code of the pending secret.'),
      failure(409, ['no_pending_setup'], 'No setup to confirm: start with POST /auth/2fa/totp/setup.'),
      429, 503,
    ],
  }),
  totpDisable: endpoint({
    method: 'DELETE', path: '/auth/2fa/totp', tag: 'auth', auth: 'user',
    summary: 'Turn two-factor off, with the password and a code (or a recovery code)',
    description: 'Recovery codes and pending login steps go with it; the owner is mailed.',
    body: { json: 'TotpDisableRequest' },
    ok: { status: 204, description: 'Two-factor is off.' },
    errors: [
      failure(403, ['incorrect_password', 'invalid_code'], 'The password, or the code, is wrong (a code also when already used).'),
      failure(409, ['two_factor_not_enabled'], 'Two-factor is off already.'),
      429, BUSY,
    ],
  }),
  recoveryCodes: endpoint({
    method: 'POST', path: '/auth/2fa/recovery-codes', tag: 'auth', auth: 'user',
    summary: 'Ten new recovery codes; the earlier ones stop working',
    body: { json: 'RecoveryCodesRequest' },
    ok: { status: 200, description: 'Ten single-use recovery codes, shown only this once.', schema: 'RecoveryCodes' },
    errors: [
      failure(403, ['incorrect_password'], 'The password is wrong.'),
      failure(409, ['two_factor_not_enabled'], 'Two-factor is off: there are no recovery codes to replace.'),
      429, BUSY,
    ],
  }),
  sessions: endpoint({
    method: 'GET', path: '/auth/sessions', tag: 'auth', auth: 'user',
    summary: "The user's live sessions, newest first",
    description: 'One entry per login that has not ended (logged out, revoked or expired), with the client it started from; `current` marks the session of the token sent.',
    ok: { status: 200, description: 'The live sessions, newest first.', schema: 'SessionList' },
    errors: [503],
  }),
  endSession: endpoint({
    method: 'DELETE', path: '/auth/sessions/{id}', tag: 'auth', auth: 'user',
    summary: 'End one of your sessions',
    description: 'Its refresh token stops working at once, and so do its access tokens wherever a handler checks the session. Ending the current session is a logout.',
    params: { id: sessionId },
    ok: { status: 204, description: 'The session has ended.' },
    errors: [failure(404, ['not_found'], 'None of your live sessions has this id (it ended, is not yours, or never existed).'), 503],
  }),
  forgotPassword: endpoint({
    method: 'POST', path: '/auth/password/forgot', tag: 'auth',
    summary: 'Ask for a password-reset link by email',
    description:
      'Always the same 202, whether or not the email has an account; an active account is sent a link (`APP_URL` + MAIL_RESET_PATH + `?token=`) ' +
      'that works once for PASSWORD_RESET_TTL. Limited per client address (429) and per email (past it: the same 202, nothing sent).',
    body: { json: 'ForgotPasswordRequest' },
    ok: { status: 202, description: 'Accepted; if the account exists, a link is on its way.', schema: 'Message' },
    errors: [429, 501, 503],
  }),
  resetPassword: endpoint({
    method: 'POST', path: '/auth/password/reset', tag: 'auth',
    summary: 'Set a new password with the token of a reset link',
    description:
      'Ends every session of the account, forgets its failed logins, marks its email verified, and tells the owner by email. ' +
      'Answers a `device_token` for the next login, and remembers this address as one the account logged in from.',
    body: { json: 'PasswordResetRequest' },
    ok: { status: 200, description: 'The password is changed; every session is revoked.', schema: 'PasswordReset' },
    errors: [LINK_REFUSED, BUSY],
  }),
  verifyEmail: endpoint({
    method: 'POST', path: '/auth/email/verify', tag: 'auth',
    summary: 'Confirm the email with the token of a verification link',
    body: { json: 'EmailVerificationRequest' },
    ok: { status: 200, description: 'The account, its email verified.', schema: 'User' },
    errors: [LINK_REFUSED, 503],
  }),
  resendVerification: endpoint({
    method: 'POST', path: '/auth/email/resend', tag: 'auth',
    summary: 'Send a new verification link',
    description:
      'With `Authorization: Bearer <access token>` and no body: to the signed-in user (409 when verified). ' +
      'Without a token, `{email}`: always the same 202, whatever the state of the email; a link goes only to a pending sign-up or an unverified account. ' +
      'Older verification links stop working. Limited per email (RATE_LIMIT_RESEND: past it, with a token 429, without one the same 202 and nothing sent) and, without a token, per client address (RATE_LIMIT_FORGOT).',
    body: { json: 'ResendVerificationRequest', optional: true },
    ok: { status: 202, description: 'A new link is on its way (if there is anything to verify).', schema: 'Message' },
    errors: [
      401,
      failure(409, ['already_verified'], 'The email is verified already (with a token only).'),
      429, 501, 503,
    ],
  }),
};

export const allEndpoints: Endpoint[] = Object.values(endpoints);
