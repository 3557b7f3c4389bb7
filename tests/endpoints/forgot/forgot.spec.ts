import { expect, test, uniqueEmail, withDb } from '../../support/fixtures';
import { expectNoMail, forgotAndReadToken, INVALID_LINK, linkToken, registered, sha256 } from '../../support/links';
import { holdingLocks } from '../../support/interleave';
import { waitForMail } from '../../support/smtp';

const ACCEPTED = { message: 'If an account exists for this email, we sent a link to reset its password.' };

test.describe('POST /auth/password/forgot', () => {
  test('an account gets a reset link to the front end; the answer is 202 with the one body', async ({ api }) => {
    const { email } = await registered(api, 'forgot');
    const response = await api.post('/auth/password/forgot', { data: { email: `  ${email.toUpperCase()} ` } });
    expect(response.status()).toBe(202);
    expect(await response.json()).toEqual(ACCEPTED);

    const mail = await waitForMail({ to: email, kind: 'password_reset' });
    expect(mail.links).toEqual([`http://localhost:3000/reset-password?token=${mail.token}`]);
    expect(mail.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits, base64url
    expect(mail.text).toContain('The link works once and expires in 30 minutes.');
  });

  test('only the SHA-256 of the token is stored, expiring after PASSWORD_RESET_TTL (30 minutes)', async ({ api }) => {
    const { email, id } = await registered(api, 'forgot-stored');
    const token = await forgotAndReadToken(api, email);
    const rows = await withDb(async (db) =>
      (await db.query(`select *, extract(epoch from expires_at - created_at)::int as lifetime from account_tokens where user_id = $1 and purpose = 'password_reset'`, [id])).rows,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(sha256(token));
    expect(rows[0].lifetime).toBe(30 * 60);
    expect(rows[0].used_at).toBeNull();
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  test('an unknown email gets the same answer, and no message goes anywhere', async ({ api }) => {
    const email = uniqueEmail('nobody');
    const response = await api.post('/auth/password/forgot', { data: { email } });
    expect(response.status()).toBe(202);
    expect(await response.json()).toEqual(ACCEPTED);
    await expectNoMail(email, 'password_reset');
  });

  test('a deactivated account gets the same answer and no link', async ({ api }) => {
    const { email, id } = await registered(api, 'forgot-inactive');
    await withDb((db) => db.query('update users set is_active = false where id = $1', [id]));
    const response = await api.post('/auth/password/forgot', { data: { email } });
    expect(response.status()).toBe(202);
    expect(await response.json()).toEqual(ACCEPTED);
    expect(await withDb(async (db) => (await db.query('select count(*)::int as n from account_tokens where user_id = $1 and purpose = $2', [id, 'password_reset'])).rows[0].n)).toBe(0);
    await expectNoMail(email, 'password_reset');
  });

  test('a newer request makes the older link useless', async ({ api }) => {
    const { email } = await registered(api, 'forgot-twice');
    const first = await forgotAndReadToken(api, email, 1);
    const second = await forgotAndReadToken(api, email, 2);
    expect(second).not.toBe(first);
    const old = await api.post('/auth/password/reset', { data: { token: first, new_password: 'a new passphrase' } });
    expect(old.status()).toBe(400);
    expect(await old.json()).toEqual(INVALID_LINK);
    expect((await api.post('/auth/password/reset', { data: { token: second, new_password: 'a new passphrase' } })).status()).toBe(200);
  });

  test('an invalid email is a 422 naming the field; unknown fields are refused', async ({ api }) => {
    const bad = await api.post('/auth/password/forgot', { data: { email: 'not-an-email' } });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).fields).toEqual({ email: expect.stringContaining('valid email') });
    const extra = await api.post('/auth/password/forgot', { data: { email: uniqueEmail(), redirect: 'https://evil.example' } });
    expect(extra.status()).toBe(422);
    expect((await extra.json()).fields).toEqual({ redirect: expect.any(String) });
  });

  test('needs no access token (proxy.ts guards /auth/password, not the paths under it)', async ({ api }) => {
    const response = await api.post('/auth/password/forgot', { data: { email: uniqueEmail() }, headers: { authorization: 'Bearer not-a-token' } });
    expect(response.status()).toBe(202);
    // and the verification link of the same account is a different token, for another page
    const { email } = await registered(api, 'forgot-kinds');
    const reset = await forgotAndReadToken(api, email);
    expect(await linkToken(email, 'verify_email')).not.toBe(reset);
  });

  test('"a newer link voids the older ones" holds under concurrency: 3 parallel requests leave exactly one live link', async ({ api }) => {
    const { email, id } = await registered(api, 'forgot-race');
    // The three requests line up behind the test's lock on the account's row, so that each has started
    // (and taken its snapshot) before any of them issues its link.
    await holdingLocks(async (holder) => {
      await holder.query('select 1 from users where id = $1 for update', [id]);
      const requests = Array.from({ length: 3 }, () => api.post('/auth/password/forgot', { data: { email } }));
      await holder.waitForBlocked(3, requests);
      await holder.commit();
      for (const response of await Promise.all(requests)) expect(response.status()).toBe(202);
    });
    const live = await withDb(async (db) =>
      (await db.query(`select count(*)::int as n from account_tokens where user_id = $1 and purpose = 'password_reset' and used_at is null and expires_at > now()`, [id])).rows[0].n,
    );
    expect(live).toBe(1);
  });
});
