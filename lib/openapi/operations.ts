/**
 * Every operation of the API, in one list: /openapi.json is generated from it (lib/openapi/document.ts)
 * and a test checks it against the routes under app/ and the methods they really answer. Adding a
 * route means: its zod schemas in `schemas` (once), and one entry in `operations`.
 */
import {
  errorResponse,
  jwksResponse,
  loginForm,
  loginRequest,
  logoutRequest,
  passwordChangeRequest,
  refreshForm,
  refreshRequest,
  registerRequest,
  tokenResponse,
  userResponse,
} from '../auth/schemas';
import { healthResponse, serviceIndexResponse } from '../http/schemas';

/** The schemas the document names (components/schemas); requests are shown as clients send them. */
export const schemas = {
  RegisterRequest: registerRequest,
  LoginRequest: loginRequest,
  LoginForm: loginForm,
  RefreshRequest: refreshRequest,
  RefreshForm: refreshForm,
  LogoutRequest: logoutRequest,
  PasswordChangeRequest: passwordChangeRequest,
  User: userResponse,
  Token: tokenResponse,
  Error: errorResponse,
  Health: healthResponse,
  ServiceIndex: serviceIndexResponse,
  JwkSet: jwksResponse,
};

export type SchemaName = keyof typeof schemas;

export type Operation = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  tag: 'auth' | 'service';
  summary: string;
  description?: string;
  /** Needs `Authorization: Bearer <access token>` (401 is then documented for it). */
  bearer?: true;
  /** The request body: JSON, and/or an application/x-www-form-urlencoded form. */
  body?: { json?: SchemaName; form?: SchemaName; optional?: true };
  /** The success answer; no schema means a JSON object described elsewhere. */
  ok: { status: 200 | 201 | 204; description: string; schema?: SchemaName };
  /** The error statuses it can answer, with the standard error body unless given another (500 is added to all). */
  errors?: (number | { status: number; description: string; schema: SchemaName })[];
};

/** Statuses every body-reading operation can answer (lib/http/body.ts, lib/http/validate.ts). */
const BODY_ERRORS = [400, 413, 415, 422];

export const operations: Operation[] = [
  {
    method: 'get', path: '/', tag: 'service',
    summary: 'What this service is and where to start',
    ok: { status: 200, description: 'The service name and its endpoints.', schema: 'ServiceIndex' },
  },
  {
    method: 'get', path: '/health', tag: 'service',
    summary: 'Whether the service and its database answer',
    ok: { status: 200, description: 'The database answered `select 1`.', schema: 'Health' },
    errors: [{ status: 503, description: 'The database did not answer within 3 s.', schema: 'Health' }],
  },
  {
    method: 'get', path: '/openapi.json', tag: 'service',
    summary: 'This document (OpenAPI 3.1)',
    ok: { status: 200, description: 'The OpenAPI document.' },
  },
  {
    method: 'get', path: '/.well-known/jwks.json', tag: 'auth',
    summary: 'Public keys that verify access tokens (JWK Set)',
    description: 'Empty with HS256 (the default). With JWT_PRIVATE_KEY: the current key and any being retired.',
    ok: { status: 200, description: 'A JWK Set (RFC 7517).', schema: 'JwkSet' },
  },
  {
    method: 'post', path: '/auth/register', tag: 'auth',
    summary: 'Create an account',
    body: { json: 'RegisterRequest' },
    ok: { status: 201, description: 'The new account.', schema: 'User' },
    errors: [...BODY_ERRORS, 409, 503],
  },
  {
    method: 'post', path: '/auth/login', tag: 'auth',
    summary: 'Log in: get an access token',
    description: 'JSON `{email, password}`, or the OAuth2 password grant form (RFC 6749 section 4.3) with `username`.',
    body: { json: 'LoginRequest', form: 'LoginForm' },
    ok: { status: 200, description: 'An access token and a refresh token, in a new session.', schema: 'Token' },
    errors: [...BODY_ERRORS, 401, 403, 429, 503],
  },
  {
    method: 'post', path: '/auth/refresh', tag: 'auth',
    summary: 'Trade a refresh token for a new access and refresh pair',
    description:
      'The presented refresh token is spent. Presenting a spent token again revokes the session (401 `invalid_grant`), ' +
      'except within REFRESH_REUSE_GRACE of its use. JSON `{refresh_token}` or the OAuth2 form with `grant_type=refresh_token` (RFC 6749 section 6).',
    body: { json: 'RefreshRequest', form: 'RefreshForm' },
    ok: { status: 200, description: 'A new pair in the same session.', schema: 'Token' },
    errors: [...BODY_ERRORS, 401, 429, 503],
  },
  {
    method: 'post', path: '/auth/logout', tag: 'auth', bearer: true,
    summary: 'End this session, or every session of the user',
    description: 'The body is optional; `{"scope":"all"}` ends every session of the user.',
    body: { json: 'LogoutRequest', optional: true },
    ok: { status: 204, description: 'The session (or all of them) is revoked.' },
    errors: [...BODY_ERRORS, 503],
  },
  {
    method: 'post', path: '/auth/password', tag: 'auth', bearer: true,
    summary: 'Change the password; ends every other session',
    body: { json: 'PasswordChangeRequest' },
    ok: { status: 204, description: 'The password is changed; other sessions are revoked.' },
    errors: [...BODY_ERRORS, 403, 503],
  },
  {
    method: 'get', path: '/auth/me', tag: 'auth', bearer: true,
    summary: 'The account the access token belongs to',
    ok: { status: 200, description: 'The current user.', schema: 'User' },
    errors: [503],
  },
];
