/**
 * Spent refresh tokens are not kept forever: each refresh forgets the session's spent tokens older than
 * twice ACCESS_TOKEN_TTL (15 min on the test server: 30 min), and keeps at most the 20 most recent
 * (lib/auth/store/sessions.ts, SPENT_TOKENS_KEPT). Time passes here by ageing spent_at in the database.
 */
import { decodeJwt } from 'jose';
import { expect, test } from '../../support/fixtures';
import { ageSpentToken, ageSpentTokens, INVALID_GRANT, me, newAccount, type Pair, refresh, tokenRows } from '../../support/sessions';

const ACCESS_TOKEN_TTL = 900;

async function refreshOk(api: Parameters<typeof refresh>[0], token: string): Promise<Pair> {
  const response = await refresh(api, token);
  expect(response.status()).toBe(200);
  return response.json();
}

test.describe('spent refresh tokens', () => {
  test('50 refreshes in a row leave at most 21 rows: the live token and the 20 most recently spent', async ({ api }) => {
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;
    let token = pair.refresh_token;
    for (let i = 0; i < 50; i++) token = (await refreshOk(api, token)).refresh_token;
    expect(await tokenRows(sid)).toBe(21);
  });

  test('at the usual pace (a refresh per access token) a session holds three rows', async ({ api }) => {
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;
    let token = pair.refresh_token;
    for (let i = 0; i < 10; i++) {
      token = (await refreshOk(api, token)).refresh_token;
      await ageSpentTokens(sid, ACCESS_TOKEN_TTL);
    }
    expect(await tokenRows(sid)).toBe(3);
  });

  test('a thief who spends a stolen token first and refreshes on cannot push it out of reuse detection', async ({ api }) => {
    const { pair } = await newAccount(api);
    // The thief uses the copy first, then refreshes ten more times.
    let thief = await refreshOk(api, pair.refresh_token);
    for (let i = 0; i < 10; i++) thief = await refreshOk(api, thief.refresh_token);
    // The owner comes back with the token the thief spent, after the grace window, within the access token's life.
    await ageSpentToken(pair.refresh_token, 60);
    const owner = await refresh(api, pair.refresh_token);
    expect(owner.status()).toBe(401);
    expect(await owner.json()).toEqual(INVALID_GRANT);
    expect((await refresh(api, thief.refresh_token)).status()).toBe(401);
    expect((await me(api, thief.access_token)).status()).toBe(401);
  });

  test('a spent token forgotten after the window is refused, and the session goes on', async ({ api }) => {
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;
    const second = await refreshOk(api, pair.refresh_token);
    await ageSpentTokens(sid, 2 * ACCESS_TOKEN_TTL + 1);
    const third = await refreshOk(api, second.refresh_token); // forgets the first
    const stale = await refresh(api, pair.refresh_token);
    expect(stale.status()).toBe(401);
    expect(await stale.json()).toEqual(INVALID_GRANT);
    expect((await refresh(api, third.refresh_token)).status()).toBe(200);
  });
});
