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
  logoutRequest,
  messageResponse,
  passwordChangeRequest,
  passwordResetRequest,
  passwordResetResponse,
  refreshForm,
  refreshRequest,
  registerRequest,
  resendVerificationRequest,
  sessionId,
  sessionListResponse,
  sessionResponse,
  tokenResponse,
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
  User: userResponse,
  Session: sessionResponse,
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
   * Other statuses it can answer, with the standard error body unless given another (500 is added to
   * all). One with a schema other than Error is an answer the handler may return with `reply()`.
   */
  errors?: (number | { status: number; description: string; schema: SchemaName })[];
};

const endpoint = <const E extends Endpoint>(declaration: E): E => declaration;

export const endpoints = {
  index: endpoint({
    method: 'GET', path: '/', tag: 'service',
    summary: 'What this service is and where to start',
    ok: { status: 200, description: 'The service name and its endpoints.', schema: 'ServiceIndex' },
  }),
  health: endpoint({
    method: 'GET', path: '/health', tag: 'service',
    summary: 'Whether the service and its database answer',
    ok: { status: 200, description: 'The database answered `select 1`.', schema: 'Health' },
    errors: [{ status: 503, description: 'The database did not answer within 3 s.', schema: 'Health' }],
  }),
  openapi: endpoint({
    method: 'GET', path: '/openapi.json', tag: 'service',
    summary: 'This document (OpenAPI 3.1)',
    ok: { status: 200, description: 'The OpenAPI document.' },
  }),
  jwks: endpoint({
    method: 'GET', path: '/.well-known/jwks.json', tag: 'auth',
    summary: 'Public keys that verify access tokens (JWK Set)',
    description: 'Empty with HS256 (the default). With JWT_PRIVATE_KEY: the current key and any being retired.',
    ok: { status: 200, description: 'A JWK Set (RFC 7517).', schema: 'JwkSet' },
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
      { status: 409, description: 'The email already has an account (not with EMAIL_VERIFICATION=required).', schema: 'Error' },
      429, 503,
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
    errors: [401, 403, 429, 503],
  }),
  refresh: endpoint({
    method: 'POST', path: '/auth/refresh', tag: 'auth',
    summary: 'Trade a refresh token for a new access and refresh pair',
    description:
      'The presented refresh token is spent. Presented again within REFRESH_REUSE_GRACE of its use (a second tab, a lost answer), ' +
      'it gets the same new refresh token back, with a fresh access token; later, it revokes the session (401 `invalid_grant`). ' +
      'No refresh moves a session past SESSION_MAX_AGE from its login. JSON `{refresh_token}` or the OAuth2 form with `grant_type=refresh_token` (RFC 6749 section 6). ' +
      'Without a refresh token in the body, the refresh cookie is used (same rules), and the new one comes back as the cookie.',
    body: { json: 'RefreshRequest', form: 'RefreshForm', optional: true },
    ok: { status: 200, description: 'A new pair in the same session.', schema: 'Token' },
    errors: [401, { status: 403, description: '`origin_not_allowed`: the refresh cookie was sent from an origin not in CORS_ORIGINS, or from another site.', schema: 'Error' }, 429, 503],
  }),
  logout: endpoint({
    method: 'POST', path: '/auth/logout', tag: 'auth', auth: 'user-or-refresh-cookie',
    summary: 'End this session, or every session of the user',
    description:
      'With a bearer token, or (a browser, without an Authorization header) the refresh cookie: the session of either ends, and the cookie is cleared. ' +
      'The body is optional; `{"scope":"all"}` ends every session of the user.',
    body: { json: 'LogoutRequest', optional: true },
    ok: { status: 204, description: 'The session (or all of them) is revoked; the refresh cookie is cleared.' },
    errors: [{ status: 403, description: '`origin_not_allowed`: the refresh cookie was sent from an origin not in CORS_ORIGINS, or from another site.', schema: 'Error' }, 503],
  }),
  changePassword: endpoint({
    method: 'POST', path: '/auth/password', tag: 'auth', auth: 'user',
    summary: 'Change the password; ends every other session',
    body: { json: 'PasswordChangeRequest' },
    ok: { status: 204, description: 'The password is changed; other sessions are revoked.' },
    errors: [403, 429, 503],
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
    errors: [{ status: 403, description: 'The password is incorrect.', schema: 'Error' }, 429, 503],
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
    errors: [{ status: 404, description: '`not_found`: none of your live sessions has this id.', schema: 'Error' }, 503],
  }),
  forgotPassword: endpoint({
    method: 'POST', path: '/auth/password/forgot', tag: 'auth',
    summary: 'Ask for a password-reset link by email',
    description:
      'Always the same 202, whether or not the email has an account; an active account is sent a link (`APP_URL` + MAIL_RESET_PATH + `?token=`) ' +
      'that works once for PASSWORD_RESET_TTL. Limited per client address (429) and per email (past it: the same 202, nothing sent).',
    body: { json: 'ForgotPasswordRequest' },
    ok: { status: 202, description: 'Accepted; if the account exists, a link is on its way.', schema: 'Message' },
    errors: [429, { status: 501, description: 'This server sends no email (SMTP_URL=off).', schema: 'Error' }, 503],
  }),
  resetPassword: endpoint({
    method: 'POST', path: '/auth/password/reset', tag: 'auth',
    summary: 'Set a new password with the token of a reset link',
    description:
      'Ends every session of the account, forgets its failed logins, marks its email verified, and tells the owner by email. ' +
      'Answers a `device_token` for the next login, and remembers this address as one the account logged in from.',
    body: { json: 'PasswordResetRequest' },
    ok: { status: 200, description: 'The password is changed; every session is revoked.', schema: 'PasswordReset' },
    errors: [{ status: 400, description: '`invalid_token`: the link is unknown, malformed, expired, already used or superseded by a newer one (or the body is not valid JSON).', schema: 'Error' }, 503],
  }),
  verifyEmail: endpoint({
    method: 'POST', path: '/auth/email/verify', tag: 'auth',
    summary: 'Confirm the email with the token of a verification link',
    body: { json: 'EmailVerificationRequest' },
    ok: { status: 200, description: 'The account, its email verified.', schema: 'User' },
    errors: [{ status: 400, description: '`invalid_token`: the link is unknown, malformed, expired, already used or superseded by a newer one (or the body is not valid JSON).', schema: 'Error' }, 503],
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
      { status: 409, description: '`already_verified`: the email is verified already (with a token only).', schema: 'Error' },
      429,
      { status: 501, description: 'This server sends no email (SMTP_URL=off).', schema: 'Error' },
      503,
    ],
  }),
};

export const allEndpoints: Endpoint[] = Object.values(endpoints);
