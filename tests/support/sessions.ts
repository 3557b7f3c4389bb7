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

/** SQL: SHA-256 (hex) of a text parameter, as the server stores a refresh token. */
const HASH_OF = (param: string) => `encode(sha256(convert_to(${param}, 'UTF8')), 'hex')`;

/**
 * Moves the session's last refresh into the past, as if time had passed since it: what the grace window
 * reads (a session keeps only its last spend; older tokens are reuse whenever they come back).
 */
export async function ageSpentTokens(sessionId: string, seconds: number): Promise<void> {
  await withDb((db) =>
    db.query('update sessions set previous_spent_at = previous_spent_at - make_interval(secs => $2) where id = $1', [sessionId, seconds]),
  );
}

/** Whether this refresh token is its session's live one (a session has exactly one). */
export async function isLive(sessionId: string, token: string): Promise<boolean> {
  return withDb(async (db) =>
    (await db.query(`select refresh_token_hash = ${HASH_OF('$2')} as live from sessions where id = $1`, [sessionId, token])).rows[0]?.live === true,
  );
}
