import { expect, PASSWORD, test, withDb } from '../../support/fixtures';
import { expireLinks, forgotAndReadToken, INVALID_LINK, registered } from '../../support/links';
import { login, me, refresh } from '../../support/sessions';
import { waitForMail } from '../../support/smtp';

const NEW_PASSWORD = 'a fresh passphrase';
const reset = (api: Parameters<typeof forgotAndReadToken>[0], token: unknown, new_password = NEW_PASSWORD) =>
  api.post('/auth/password/reset', { data: { token, new_password } });

test.describe('POST /auth/password/reset', () => {
  test('sets the new password, ends every session, verifies the email and tells the owner', async ({ api }) => {
    const { email } = await registered(api, 'reset');
    const sessions = [await login(api, email), await login(api, email)];
    const token = await forgotAndReadToken(api, email);

    const response = await reset(api, token);
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ device_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });

    for (const pair of sessions) {
      expect((await me(api, pair.access_token)).status()).toBe(401);
      expect((await refresh(api, pair.refresh_token)).status()).toBe(401);
    }
    expect((await api.post('/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(401);
    const fresh = await login(api, email, NEW_PASSWORD);
    expect(await (await me(api, fresh.access_token)).json()).toMatchObject({ email, email_verified: true });

    const notice = await waitForMail({ to: email, kind: 'password_changed' });
    expect(notice.text).toContain('was just changed');
    expect(notice.text).toContain('If it was not you');
    expect(notice.token).toBeNull();
  });

  test('a link works once: the second use is 400 invalid_token, and the password stays the first one', async ({ api }) => {
    const { email } = await registered(api, 'reset-once');
    const token = await forgotAndReadToken(api, email);
    expect((await reset(api, token)).status()).toBe(200);
    const again = await reset(api, token, 'yet another passphrase');
    expect(again.status()).toBe(400);
    expect(await again.json()).toEqual(INVALID_LINK);
    await login(api, email, NEW_PASSWORD);
  });

  test('two concurrent resets with one link: exactly one succeeds', async ({ api }) => {
    for (let round = 0; round < 3; round++) {
      const { email } = await registered(api, 'reset-race');
      const token = await forgotAndReadToken(api, email);
      const [a, b] = await Promise.all([reset(api, token, 'first passphrase'), reset(api, token, 'second passphrase')]);
      expect([a.status(), b.status()].sort()).toEqual([200, 400]);
      const winner = a.status() === 200 ? 'first passphrase' : 'second passphrase';
      const loser = a.status() === 200 ? 'second passphrase' : 'first passphrase';
      await login(api, email, winner);
      expect((await api.post('/auth/login', { data: { email, password: loser } })).status()).toBe(401);
    }
  });

  test('an expired link is refused', async ({ api }) => {
    const { email } = await registered(api, 'reset-expired');
    const token = await forgotAndReadToken(api, email);
    await expireLinks(email);
    const response = await reset(api, token);
    expect(response.status()).toBe(400);
    expect(await response.json()).toEqual(INVALID_LINK);
    await login(api, email);
  });

  test('unknown and malformed tokens are 400 invalid_token, in the standard error shape', async ({ api }) => {
    for (const token of ['A'.repeat(43), 'short', '', 'x'.repeat(43).replace(/^x/, '%'), "' or 1=1 --", 'é'.repeat(43), 'a'.repeat(5000)]) {
      const response = await reset(api, token);
      expect(response.status(), JSON.stringify(token.slice(0, 20))).toBe(400);
      expect(await response.json()).toEqual(INVALID_LINK);
    }
  });

  test('a verification link is not a reset link', async ({ api }) => {
    const { email } = await registered(api, 'reset-kind');
    const verification = (await waitForMail({ to: email, kind: 'verify_email' })).token;
    expect((await reset(api, verification)).status()).toBe(400);
  });

  test('the new password follows the registration rules (422), and a refused one leaves the link usable', async ({ api }) => {
    const { email } = await registered(api, 'reset-rules');
    const token = await forgotAndReadToken(api, email);
    const tooShort = await reset(api, token, 'short');
    expect(tooShort.status()).toBe(422);
    expect((await tooShort.json()).fields).toEqual({ new_password: expect.stringContaining('at least 8') });
    expect((await reset(api, token, 'x'.repeat(73))).status()).toBe(422);
    const missing = await api.post('/auth/password/reset', { data: { new_password: NEW_PASSWORD } });
    expect(missing.status()).toBe(422);
    expect((await missing.json()).fields).toEqual({ token: expect.any(String) });
    expect((await reset(api, token)).status()).toBe(200);
  });

  test('a link of an account deactivated meanwhile is refused', async ({ api }) => {
    const { email, id } = await registered(api, 'reset-inactive');
    const token = await forgotAndReadToken(api, email);
    await withDb((db) => db.query('update users set is_active = false where id = $1', [id]));
    expect((await reset(api, token)).status()).toBe(400);
  });
});
