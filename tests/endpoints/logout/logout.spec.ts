import { expect, test } from '../../support/fixtures';
import { answer, INVALID_GRANT, login, me, newAccount, refresh, SESSION_ENDED } from '../../support/sessions';

test.describe('POST /auth/logout', () => {
  test('ends the current session: 204, then its refresh token and /auth/me refuse', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const other = await login(api, email);
    const response = await api.post('/auth/logout', { headers: { authorization: `Bearer ${pair.access_token}` } });
    expect(response.status()).toBe(204);
    expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    expect(await answer(me(api, pair.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
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
      expect(await answer(refresh(api, p.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
      expect(await answer(me(api, p.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
    }
  });

  test('needs a token, and a valid scope', async ({ api }) => {
    expect(await answer(api.post('/auth/logout'))).toEqual({ status: 401, body: { error: 'unauthorized', message: expect.any(String) } });
    const { pair } = await newAccount(api);
    const bad = await api.post('/auth/logout', { headers: { authorization: `Bearer ${pair.access_token}` }, data: { scope: 'everything' } });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).fields.scope).toBeDefined();
  });
});
