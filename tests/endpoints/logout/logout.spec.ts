import { expect, test } from '../../support/fixtures';
import { login, me, newAccount, refresh } from '../../support/sessions';

test.describe('POST /auth/logout', () => {
  test('ends the current session: 204, then its refresh token and /auth/me refuse', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const other = await login(api, email);
    const response = await api.post('/auth/logout', { headers: { authorization: `Bearer ${pair.access_token}` } });
    expect(response.status()).toBe(204);
    expect((await refresh(api, pair.refresh_token)).status()).toBe(401);
    const after = await me(api, pair.access_token);
    expect(after.status()).toBe(401);
    expect((await after.json()).error).toBe('invalid_token');
    // the user's other session is untouched
    expect((await me(api, other.access_token)).status()).toBe(200);
    expect((await refresh(api, other.refresh_token)).status()).toBe(200);
  });

  test('with scope all ends every session of the user', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const other = await login(api, email);
    const response = await api.post('/auth/logout', { headers: { authorization: `Bearer ${pair.access_token}` }, data: { scope: 'all' } });
    expect(response.status()).toBe(204);
    for (const p of [pair, other]) {
      expect((await refresh(api, p.refresh_token)).status()).toBe(401);
      expect((await me(api, p.access_token)).status()).toBe(401);
    }
  });

  test('needs a token, and a valid scope', async ({ api }) => {
    expect((await api.post('/auth/logout')).status()).toBe(401);
    const { pair } = await newAccount(api);
    const bad = await api.post('/auth/logout', { headers: { authorization: `Bearer ${pair.access_token}` }, data: { scope: 'everything' } });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).fields.scope).toBeDefined();
  });
});
