/**
 * A password write never undoes another one. Whoever lands first wins: a change or a deletion that
 * checked the current password goes through only if the hash it checked is still the stored one, and a
 * change, an admin's set-password or a deactivation voids the reset links sent before it. Each race is
 * forced (tests/support/interleave.ts): the test holds the user's row, so the writes queue on it in a
 * known order, and lets them go once they wait.
 */
import type { APIRequestContext, APIResponse } from '@playwright/test';
import bcrypt from 'bcryptjs';
import { decodeJwt } from 'jose';
import { runNpmScript } from '../../support/cli';
import { expect, PASSWORD, test, withDb } from '../../support/fixtures';
import { holdingLocks } from '../../support/interleave';
import { forgotAndReadToken, INVALID_LINK, sha256 } from '../../support/links';
import { answer, newAccount } from '../../support/sessions';

const OWNER = 'the owner chose this one by reset';
const ATTACKER = 'the attacker chose this one';
const ADMIN = 'a password set by the admin';
const LOCK_USER = 'select 1 from users where id = $1 for update';
const WRONG_PASSWORD = { status: 403, body: { error: 'incorrect_password', message: 'The current password is incorrect.' } };

const users = (args: string[], input?: string) => runNpmScript('users', args, { DATABASE_URL: process.env.TEST_DATABASE_URL }, input);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const resetWith = (api: APIRequestContext, token: string, password = OWNER) =>
  api.post('/auth/password/reset', { data: { token, new_password: password } });
const loginStatus = async (api: APIRequestContext, email: string, password: string) =>
  (await api.post('/auth/login', { data: { email, password } })).status();

/**
 * Holds the user's row; starts `first`, waits until it queues on the row, starts `second`, waits until
 * it queues behind, then lets both go: `first` lands first.
 */
async function inOrder<A, B>(userId: string, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  return holdingLocks(async (holder) => {
    await holder.query(LOCK_USER, [userId]);
    const a = first();
    await holder.waitForBlocked(1, [a]);
    const b = second();
    await holder.waitForBlocked(2, [a, b]);
    await holder.commit();
    return Promise.all([a, b]);
  });
}

test.describe('password writes that race', () => {
  // The admin CLI starts npm, tsx and a pool per run: 10-30 s apiece on a busy machine.
  test.describe.configure({ timeout: 180_000 });
  test('a change that checked the old password while a reset landed is refused, as a wrong password, and changes nothing', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const link = await forgotAndReadToken(api, email);
    // The attacker knows the current password and changes it; the owner resets by link meanwhile.
    const [reset, change] = await inOrder<APIResponse, APIResponse>(
      decodeJwt(pair.access_token).sub!,
      () => resetWith(api, link),
      () => api.post('/auth/password', { headers: bearer(pair.access_token), data: { current_password: PASSWORD, new_password: ATTACKER } }),
    );
    expect(reset.status()).toBe(200);
    expect(await answer(change)).toEqual(WRONG_PASSWORD);
    expect(await loginStatus(api, email, ATTACKER)).toBe(401);
    expect(await loginStatus(api, email, OWNER)).toBe(200);
  });

  test('a reset and a change that wait on each other never deadlock: both take the user\'s row first', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const link = await forgotAndReadToken(api, email);
    // The test holds the reset link's row: the reset stops where it spends the link, the change where it
    // would void it. Had the reset not taken the user's row first, each would hold what the other waits for.
    const [reset, change] = await holdingLocks(async (holder) => {
      await holder.query('select 1 from account_tokens where token_hash = $1 for update', [sha256(link)]);
      const resetting = resetWith(api, link);
      await holder.waitForBlocked(1, [resetting]);
      const changing = api.post('/auth/password', { headers: bearer(pair.access_token), data: { current_password: PASSWORD, new_password: ATTACKER } });
      await holder.waitForBlocked(2, [resetting, changing]);
      await holder.commit();
      return Promise.all([resetting, changing]);
    });
    expect(reset.status()).toBe(200);
    expect(await answer(change)).toEqual(WRONG_PASSWORD);
    expect(await loginStatus(api, email, OWNER)).toBe(200);
  });

  test('a deletion that checked the old password while a reset landed is refused, and the account stays', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const link = await forgotAndReadToken(api, email);
    const [reset, deletion] = await inOrder<APIResponse, APIResponse>(
      decodeJwt(pair.access_token).sub!,
      () => resetWith(api, link),
      () => api.delete('/auth/me', { headers: bearer(pair.access_token), data: { password: PASSWORD } }),
    );
    expect(reset.status()).toBe(200);
    expect(await answer(deletion)).toEqual(WRONG_PASSWORD);
    expect(await withDb(async (db) => (await db.query('select count(*)::int as n from users where email = $1', [email])).rows[0].n)).toBe(1);
    expect(await loginStatus(api, email, OWNER)).toBe(200);
  });

  test("an admin's set-password that read the account before another password write landed is refused, and says so", async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const ownerHash = await bcrypt.hash(OWNER, 10);
    // The command reads the account, hashes what the admin typed, then queues on the row; the owner's
    // new password (a reset's or a change's write, done here by the test) lands first.
    const admin = await holdingLocks(async (holder) => {
      await holder.query(LOCK_USER, [decodeJwt(pair.access_token).sub]);
      const running = users(['set-password', email], `${ADMIN}\n`);
      await holder.waitForBlocked(1, [running], 120_000);
      await holder.query('update users set hashed_password = $2 where id = $1', [decodeJwt(pair.access_token).sub, ownerHash]);
      await holder.commit();
      return running;
    });
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain('changed while this command ran; nothing changed');
    expect(await loginStatus(api, email, ADMIN)).toBe(401);
    expect(await loginStatus(api, email, OWNER)).toBe(200);
  });

  test('a reset link sent before a password change no longer works after it', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const link = await forgotAndReadToken(api, email);
    const change = await api.post('/auth/password', { headers: bearer(pair.access_token), data: { current_password: PASSWORD, new_password: ATTACKER } });
    expect(change.ok()).toBe(true);
    expect(await answer(resetWith(api, link))).toEqual({ status: 400, body: INVALID_LINK });
    expect(await loginStatus(api, email, ATTACKER)).toBe(200);
  });

  test("a reset link sent before an admin's set-password no longer works after it", async ({ api }) => {
    const { email } = await newAccount(api);
    const link = await forgotAndReadToken(api, email);
    const admin = await users(['set-password', email], `${ADMIN}\n`);
    expect(admin, admin.stderr).toMatchObject({ code: 0 });
    expect(await answer(resetWith(api, link))).toEqual({ status: 400, body: INVALID_LINK });
    expect(await loginStatus(api, email, ADMIN)).toBe(200);
  });

  test('deactivation voids the reset links: reactivating the account does not bring them back', async ({ api }) => {
    const { email } = await newAccount(api);
    const link = await forgotAndReadToken(api, email);
    expect((await users(['deactivate', email])).code).toBe(0);
    expect((await users(['activate', email])).code).toBe(0);
    expect(await answer(resetWith(api, link))).toEqual({ status: 400, body: INVALID_LINK });
    expect(await loginStatus(api, email, PASSWORD)).toBe(200);
  });
});
