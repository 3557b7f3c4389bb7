/**
 * Two-factor in the tests: turn it on for an account, compute codes from the secret with the same
 * library the server uses (otpauth), and take the first step of a login.
 */
import type { APIRequestContext } from '@playwright/test';
import { TOTP } from 'otpauth';
import { expect, withDb } from './fixtures';

/** The code of the current 30-second step, or of `steps` steps later (or earlier). */
export function totpCode(secret: string, steps = 0, now = Date.now()): string {
  return new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: now + steps * 30_000 });
}

/** A 6-digit code that is not the secret's code for any step within ±2 of now. */
export function wrongCode(secret: string): string {
  const taken = new Set([-2, -1, 0, 1, 2].map((steps) => totpCode(secret, steps)));
  for (let n = 0; ; n++) {
    const code = String((123456 + n * 7919) % 1_000_000).padStart(6, '0');
    if (!taken.has(code)) return code;
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Setup and confirm with a code of the current step: 2FA on. The secret and the ten recovery codes. */
export async function enableTwoFactor(
  api: APIRequestContext,
  account: { token: string; password: string },
): Promise<{ secret: string; recoveryCodes: string[]; confirmedWith: string }> {
  const setup = await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: account.password } });
  expect(setup.status()).toBe(200);
  const { secret } = (await setup.json()) as { secret: string };
  const confirmedWith = totpCode(secret);
  const confirm = await api.post('/auth/2fa/totp/confirm', { headers: bearer(account.token), data: { code: confirmedWith } });
  expect(confirm.status()).toBe(200);
  const { recovery_codes } = (await confirm.json()) as { recovery_codes: string[] };
  return { secret, recoveryCodes: recovery_codes, confirmedWith };
}

/**
 * Forgets the step the account used last, as the passing of time would: a test can then use a code
 * of the current step again without waiting up to 30 s for the next one. Only for setting a test up;
 * the replay guard's own tests never call it.
 */
export async function forgetLastStep(userId: string): Promise<void> {
  await withDb((db) => db.query('update users set totp_last_step = null where id = $1', [userId]));
}

/** POST /auth/login with the right password of an account with 2FA: the 403 and its mfa_token. */
export async function mfaToken(api: APIRequestContext, email: string, password: string): Promise<string> {
  const login = await api.post('/auth/login', { data: { email, password } });
  expect(login.status()).toBe(403);
  const body = (await login.json()) as { error: string; mfa_token: string };
  expect(body.error).toBe('mfa_required');
  return body.mfa_token;
}

/** The claims of an access token (unverified: the tests read what the server put in it). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
