import { createHash } from 'node:crypto';
import { expect, PASSWORD, test, withDb } from '../../support/fixtures';
import { decodeJwt } from 'jose';
import { answer, INVALID_GRANT, login, me, newAccount, type Pair, refresh, SESSION_ENDED } from '../../support/sessions';
import { waitForMail } from '../../support/smtp';

test.describe('POST /auth/password', () => {
  test('changes the password, ends every session, this one too, and answers a new session\'s pair', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const other = await login(api, email);
    const response = await api.post('/auth/password', {
      headers: { authorization: `Bearer ${pair.access_token}` },
      data: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    });
    expect(response.status()).toBe(200);
    const fresh: Pair & { device_token: string } = await response.json();
    // The same body as a login's, in a session of its own, with a device token this client keeps.
    expect(fresh).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
      refresh_token: expect.any(String),
      refresh_expires_in: 30 * 86400,
      device_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const device = `device:${createHash('sha256').update(fresh.device_token).digest('hex')}`;
    const known = await withDb(async (db) => (await db.query('select count(*)::int as n from known_clients where client = $1', [device])).rows[0].n);
    expect(known).toBe(1);
    expect(decodeJwt(fresh.access_token).sid).not.toBe(decodeJwt(pair.access_token).sid);
    for (const ended of [pair, other]) {
      expect(await answer(me(api, ended.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
      expect(await answer(refresh(api, ended.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    }
    expect((await me(api, fresh.access_token)).status()).toBe(200);
    expect((await refresh(api, fresh.refresh_token)).status()).toBe(200);
    expect(await answer(api.post('/auth/login', { data: { email, password: PASSWORD } }))).toEqual({
      status: 401,
      body: { error: 'invalid_credentials', message: 'Incorrect email or password' },
    });
    await login(api, email, 'a brand new passphrase');
  });

  test('tells the owner by email, with what to do if it was not them', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const response = await api.post('/auth/password', {
      headers: { authorization: `Bearer ${pair.access_token}` },
      data: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    });
    expect(response.status()).toBe(200);
    const notice = await waitForMail({ to: email, kind: 'password_changed' });
    expect(notice.subject).toBe('Your localhost:3000 password was changed');
    expect(notice.text).toContain('If it was not you, someone else may know your password: reset it now with "Forgot password"');
  });

  test('refuses a wrong current password with 403 and changes nothing', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const response = await api.post('/auth/password', {
      headers: { authorization: `Bearer ${pair.access_token}` },
      data: { current_password: 'not my password', new_password: 'a brand new passphrase' },
    });
    expect(response.status()).toBe(403);
    expect((await response.json()).error).toBe('incorrect_password');
    await login(api, email);
  });

  test('applies the registration rules to the new password', async ({ api }) => {
    const { pair } = await newAccount(api);
    const response = await api.post('/auth/password', {
      headers: { authorization: `Bearer ${pair.access_token}` },
      data: { current_password: PASSWORD, new_password: 'x'.repeat(73) },
    });
    expect(response.status()).toBe(422);
    expect((await response.json()).fields.new_password).toContain('72 bytes');
  });
});
