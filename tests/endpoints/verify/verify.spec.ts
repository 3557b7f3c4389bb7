import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { expireLinks, INVALID_LINK, linkToken, registered, sha256 } from '../../support/links';
import { login, me } from '../../support/sessions';
import { serverEnv, startServer } from '../../support/server';
import { receivedMail, waitForMail } from '../../support/smtp';

const verify = (api: Parameters<typeof registered>[0], token: unknown) => api.post('/auth/email/verify', { data: { token } });

test.describe('POST /auth/email/verify (EMAIL_VERIFICATION=optional, the default)', () => {
  test('registration sends a verification link; the account can log in before using it', async ({ api }) => {
    const { email, id } = await registered(api, 'verify');
    const mail = await waitForMail({ to: email, kind: 'verify_email' });
    expect(mail.links).toEqual([`http://localhost:3000/verify-email?token=${mail.token}`]);
    expect(mail.text).toContain('The link expires in 1 day.');
    const stored = await withDb(async (db) =>
      (await db.query(`select token_hash, extract(epoch from expires_at - created_at)::int as lifetime from account_tokens where user_id = $1`, [id])).rows,
    );
    expect(stored).toEqual([{ token_hash: sha256(mail.token!), lifetime: 24 * 3600 }]);
    const pair = await login(api, email);
    expect(await (await me(api, pair.access_token)).json()).toMatchObject({ email_verified: false });
  });

  test('the link verifies the email: 200 with the account, email_verified true, everywhere', async ({ api }) => {
    const { email, id } = await registered(api, 'verify-ok');
    const response = await verify(api, await linkToken(email, 'verify_email'));
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ id, email, is_active: true, email_verified: true, two_factor_enabled: false, created_at: expect.any(String) });
    const pair = await login(api, email);
    expect(await (await me(api, pair.access_token)).json()).toMatchObject({ id, email_verified: true });
    const at = await withDb(async (db) => (await db.query('select email_verified_at from users where id = $1', [id])).rows[0].email_verified_at);
    expect(Date.now() - new Date(at).getTime()).toBeLessThan(60_000);
  });

  test('a link works once', async ({ api }) => {
    const { email } = await registered(api, 'verify-once');
    const token = await linkToken(email, 'verify_email');
    expect((await verify(api, token)).status()).toBe(200);
    const again = await verify(api, token);
    expect(again.status()).toBe(400);
    expect(await again.json()).toEqual(INVALID_LINK);
  });

  test('an expired link is refused and the email stays unverified', async ({ api }) => {
    const { email } = await registered(api, 'verify-expired');
    const token = await linkToken(email, 'verify_email');
    await expireLinks(email);
    expect((await verify(api, token)).status()).toBe(400);
    const pair = await login(api, email);
    expect(await (await me(api, pair.access_token)).json()).toMatchObject({ email_verified: false });
  });

  test('unknown, malformed and reset tokens are 400 invalid_token; a missing one is 422', async ({ api }) => {
    for (const token of ['B'.repeat(43), 'nope', '', '../../etc/passwd']) {
      const response = await verify(api, token);
      expect(response.status()).toBe(400);
      expect(await response.json()).toEqual(INVALID_LINK);
    }
    const { email } = await registered(api, 'verify-kind');
    expect((await api.post('/auth/password/forgot', { data: { email } })).status()).toBe(202);
    expect((await verify(api, await linkToken(email, 'password_reset'))).status()).toBe(400);
    const missing = await verify(api, undefined);
    expect(missing.status()).toBe(422);
    expect((await missing.json()).fields).toEqual({ token: expect.any(String) });
  });

  test('a taken email is still 409 email_taken in this mode, and its owner gets no message', async ({ api }) => {
    const { email } = await registered(api, 'verify-taken');
    const again = await api.post('/auth/register', { data: { email, password: PASSWORD } });
    expect(again.status()).toBe(409);
    expect((await again.json()).error).toBe('email_taken');
    await waitForMail({ to: email, kind: 'verify_email' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await receivedMail({ to: email, kind: 'signup_attempt' })).toEqual([]);
    expect(await receivedMail({ to: email, kind: 'verify_email' })).toHaveLength(1);
  });
});

test.describe('EMAIL_VERIFICATION=off', () => {
  test('registration stores no link and sends none', async () => {
    const server = await startServer(serverEnv({ EMAIL_VERIFICATION: 'off' }));
    try {
      const email = uniqueEmail('verify-off');
      const response = await fetch(`${server.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(response.status).toBe(201);
      const { id, email_verified } = await response.json();
      expect(email_verified).toBe(false);
      expect(await withDb(async (db) => (await db.query('select count(*)::int as n from account_tokens where user_id = $1', [id])).rows[0].n)).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
