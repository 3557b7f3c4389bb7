/**
 * Refresh-token reuse is detected for the life of the session, however many rotations or how much time
 * lie between the theft and the owner's return, and the grace window gives a spent token nothing but
 * its own immediate successor, while that is unspent. Time passes here by ageing the spends in the
 * database (tests/support/sessions.ts).
 */
import { decodeJwt } from 'jose';
import { expect, PASSWORD, test } from '../../support/fixtures';
import { ageSpentTokens, answer, INVALID_GRANT, me, newAccount, type Pair, refresh, SESSION_ENDED } from '../../support/sessions';

const ACCESS_TOKEN_TTL = 900;

async function refreshOk(api: Parameters<typeof refresh>[0], token: string): Promise<Pair> {
  const response = await refresh(api, token);
  expect(response.status()).toBe(200);
  return response.json();
}

/** The thief is out: its refresh token and its access token are both refused. */
async function expectSessionEnded(api: Parameters<typeof refresh>[0], pair: Pair): Promise<void> {
  expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
  expect(await answer(me(api, pair.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
}

test.describe('refresh-token reuse', () => {
  test('a thief who rotates a copied token 21 times is caught when the owner comes back with it', async ({ api }) => {
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;
    let thief = await refreshOk(api, pair.refresh_token);
    for (let i = 0; i < 20; i++) thief = await refreshOk(api, thief.refresh_token);
    await ageSpentTokens(sid, 60); // past the grace window, well within the access token's life
    expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    await expectSessionEnded(api, thief);
  });

  for (const [label, seconds] of [['31 minutes', 2 * ACCESS_TOKEN_TTL + 60], ['29 days', 29 * 86_400]] as const) {
    test(`an owner who comes back ${label} after a thief spent their token is caught`, async ({ api }) => {
      const { pair } = await newAccount(api);
      const sid = decodeJwt(pair.access_token).sid as string;
      let thief = await refreshOk(api, pair.refresh_token);
      await ageSpentTokens(sid, seconds);
      thief = await refreshOk(api, thief.refresh_token); // the thief goes on refreshing meanwhile
      thief = await refreshOk(api, thief.refresh_token);
      await ageSpentTokens(sid, 60);
      expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
      await expectSessionEnded(api, thief);
    });
  }

  test('within the grace window a spent token gets nothing once its successor is spent: the session ends', async ({ api }) => {
    const { pair } = await newAccount(api);
    const second = await refreshOk(api, pair.refresh_token);
    const third = await refreshOk(api, second.refresh_token);
    // The first token, two rotations behind, inside the grace window: not its successor's retry.
    expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    await expectSessionEnded(api, third);
  });

  test('a thief who replayed a spent token within the grace window is out once the owner changes the password', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const owner = await refreshOk(api, pair.refresh_token);
    const thief = await refreshOk(api, pair.refresh_token); // the grace path: the owner's live token
    expect(thief.refresh_token).toBe(owner.refresh_token);
    const change = await api.post('/auth/password', {
      headers: { authorization: `Bearer ${owner.access_token}` },
      data: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    });
    expect(change.status()).toBe(200);
    const fresh: Pair = await change.json();
    await expectSessionEnded(api, thief);
    expect(await answer(me(api, owner.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
    // The owner goes on in a new session.
    expect(decodeJwt(fresh.access_token).sid).not.toBe(decodeJwt(owner.access_token).sid);
    expect((await me(api, fresh.access_token)).status()).toBe(200);
    expect((await refresh(api, fresh.refresh_token)).status()).toBe(200);
    expect((await api.post('/auth/login', { data: { email, password: 'a brand new passphrase' } })).status()).toBe(200);
  });
});
