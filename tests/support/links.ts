/**
 * The account flows' emails in the tests: ask for a message, wait for it (tests/support/smtp.ts),
 * take its token; and the stored side of those tokens.
 */
import { createHash } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { expect, PASSWORD, uniqueEmail, withDb } from './fixtures';
import { receivedMail, waitForMails } from './smtp';

export type MailKind = 'password_reset' | 'verify_email' | 'password_changed' | 'signup_attempt' | 'account_deleted';

/** The token of the n-th message of this kind to this address (1 = the first), once it has arrived. */
export async function linkToken(to: string, kind: 'password_reset' | 'verify_email', nth = 1): Promise<string> {
  const mail = (await waitForMails({ to, kind }, nth))[nth - 1]!;
  expect(mail.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return mail.token!;
}

/** POST /auth/password/forgot, expecting the one 202 answer; returns the reset link's token once it arrives. */
export async function forgotAndReadToken(api: APIRequestContext, email: string, nth = 1): Promise<string> {
  const response = await api.post('/auth/password/forgot', { data: { email } });
  expect(response.status()).toBe(202);
  return linkToken(email, 'password_reset', nth);
}

/**
 * No message of this kind reached this address within `ms`. Mail leaves after the response, so this
 * waits; used where the absence of a message is the behaviour under test.
 */
export async function expectNoMail(to: string, kind: MailKind, ms = 1500): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect((await receivedMail({ to, kind })).map((m) => m.subject)).toEqual([]);
}

/** SHA-256 hex: what account_tokens stores of a token. */
export const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** Makes every token of the account expire, as if its lifetime had passed. */
export async function expireLinks(email: string): Promise<void> {
  await withDb((db) =>
    db.query(`update account_tokens set expires_at = now() - interval '1 second' where user_id = (select id from users where email = $1)`, [email]),
  );
}

export const INVALID_LINK = { error: 'invalid_token', message: 'This link is invalid, expired or already used. Ask for a new one.' };

/** A fresh account on the shared server (no login). */
export async function registered(api: APIRequestContext, tag = 'flow'): Promise<{ email: string; id: string }> {
  const email = uniqueEmail(tag);
  const response = await api.post('/auth/register', { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(201);
  return { email, id: (await response.json()).id };
}
