/** Helpers for the session tests: logins, refreshes, and looking at refresh tokens in the database. */
import type { APIRequestContext, APIResponse } from '@playwright/test';
import { expect, PASSWORD, uniqueEmail, withDb } from './fixtures';

export type Pair = { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number; token_type: string };

export async function login(api: APIRequestContext, email: string, password = PASSWORD): Promise<Pair> {
  const response = await api.post('/auth/login', { data: { email, password } });
  expect(response.status()).toBe(200);
  return response.json();
}

export async function newAccount(api: APIRequestContext): Promise<{ email: string; pair: Pair }> {
  const email = uniqueEmail('session');
  expect((await api.post('/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
  return { email, pair: await login(api, email) };
}

export const refresh = (api: APIRequestContext, refresh_token: string) => api.post('/auth/refresh', { data: { refresh_token } });
export const me = (api: APIRequestContext, token: string) => api.get('/auth/me', { headers: { authorization: `Bearer ${token}` } });
export const INVALID_GRANT = { error: 'invalid_grant', message: expect.any(String) };
/** The handler's 401s (lib/auth/flows/guard.ts requireUser): the token is good, what it stands for is gone. */
export const SESSION_ENDED = { error: 'invalid_token', message: 'The session of this token has ended; log in again.' };
export const ACCOUNT_INACTIVE = { error: 'invalid_token', message: 'The account behind this token is no longer active.' };

/** Status and JSON body together, so that one expect checks both and a failure shows both. */
export async function answer(response: APIResponse | Promise<APIResponse>): Promise<{ status: number; body: unknown }> {
  const settled = await response;
  const text = await settled.text();
  return { status: settled.status(), body: text ? JSON.parse(text) : null };
}

/** Moves the moment a refresh token was spent into the past, as if time had passed. */
export async function ageSpentToken(token: string, seconds: number): Promise<void> {
  await withDb((db) =>
    db.query(
      `update refresh_tokens set spent_at = spent_at - make_interval(secs => $2)
       where token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
      [token, seconds],
    ),
  );
}

export async function liveTokens(sessionId: string): Promise<number> {
  return withDb(async (db) => (await db.query('select count(*)::int as n from refresh_tokens where session_id = $1 and spent_at is null', [sessionId])).rows[0].n);
}

/** Moves the moment every spent token of a session was spent into the past. */
export async function ageSpentTokens(sessionId: string, seconds: number): Promise<void> {
  await withDb((db) =>
    db.query('update refresh_tokens set spent_at = spent_at - make_interval(secs => $2) where session_id = $1 and spent_at is not null', [sessionId, seconds]),
  );
}

/** Every refresh-token row a session holds, spent or live. */
export async function tokenRows(sessionId: string): Promise<number> {
  return withDb(async (db) => (await db.query('select count(*)::int as n from refresh_tokens where session_id = $1', [sessionId])).rows[0].n);
}
