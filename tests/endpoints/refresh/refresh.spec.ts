import { decodeJwt } from 'jose';
import { openSuccessor } from '../../../lib/auth/crypto/successor-seal';
import { expect, test, withDb } from '../../support/fixtures';
import { holdingLocks } from '../../support/interleave';
import { type Pair, ageSpentTokens, answer, INVALID_GRANT, isLive, me, newAccount, refresh, SESSION_ENDED } from '../../support/sessions';

test.describe('POST /auth/refresh', () => {
  test('rotates: a new pair in the same session; the old access token still works', async ({ api }) => {
    const { pair } = await newAccount(api);
    const response = await refresh(api, pair.refresh_token);
    expect(response.status()).toBe(200);
    const next: Pair = await response.json();
    expect(next.refresh_token).not.toBe(pair.refresh_token);
    expect(decodeJwt(next.access_token).sid).toBe(decodeJwt(pair.access_token).sid);
    expect((await me(api, next.access_token)).status()).toBe(200);
    expect((await me(api, pair.access_token)).status()).toBe(200);
    expect((await refresh(api, next.refresh_token)).status()).toBe(200);
  });

  test('the OAuth2 form works and requires grant_type', async ({ api }) => {
    const { pair } = await newAccount(api);
    const missing = await api.post('/auth/refresh', { form: { refresh_token: pair.refresh_token } });
    expect(missing.status()).toBe(422);
    expect((await missing.json()).fields.grant_type).toBeDefined();
    const ok = await api.post('/auth/refresh', { form: { grant_type: 'refresh_token', refresh_token: pair.refresh_token } });
    expect(ok.status()).toBe(200);
  });

  test('a spent token presented again after the grace window revokes the whole session', async ({ api }) => {
    const { pair } = await newAccount(api);
    const next: Pair = await (await refresh(api, pair.refresh_token)).json();
    await ageSpentTokens(decodeJwt(pair.access_token).sid as string, 60);

    const reused = await refresh(api, pair.refresh_token);
    expect(reused.status()).toBe(401);
    expect(await reused.json()).toEqual(INVALID_GRANT);
    // The thief's copy and the rightful holder's current token are both dead now.
    expect(await answer(refresh(api, next.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    expect(await answer(me(api, next.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
  });

  test('within the grace window a retry gets the same refresh token back and a fresh access token', async ({ api }) => {
    const { pair } = await newAccount(api);
    const first: Pair = await (await refresh(api, pair.refresh_token)).json();
    const retry = await refresh(api, pair.refresh_token);
    expect(retry.status()).toBe(200);
    const again: Pair = await retry.json();
    expect(again.refresh_token).toBe(first.refresh_token);
    expect(decodeJwt(again.access_token).sid).toBe(decodeJwt(first.access_token).sid);
    expect(decodeJwt(again.access_token).jti).not.toBe(decodeJwt(first.access_token).jti);
    expect(again.refresh_expires_in).toBeGreaterThan(0);
    expect(await isLive(decodeJwt(again.access_token).sid as string, again.refresh_token)).toBe(true);
    expect((await refresh(api, again.refresh_token)).status()).toBe(200);
  });

  test('two tabs that refreshed with one token both stay signed in, refresh after refresh', async ({ api }) => {
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;
    const tabA: Pair = await (await refresh(api, pair.refresh_token)).json();
    const tabB: Pair = await (await refresh(api, pair.refresh_token)).json();
    expect(tabB.refresh_token).toBe(tabA.refresh_token);
    // Tab A refreshes on; tab B, a step behind, follows within the grace window and lands on the same token.
    const nextA: Pair = await (await refresh(api, tabA.refresh_token)).json();
    const nextB = await refresh(api, tabB.refresh_token);
    expect(nextB.status()).toBe(200);
    expect((await nextB.json()).refresh_token).toBe(nextA.refresh_token);
    expect(await isLive(sid, nextA.refresh_token)).toBe(true);
    expect((await me(api, nextA.access_token)).status()).toBe(200);
    expect((await refresh(api, nextA.refresh_token)).status()).toBe(200);
  });

  test('the successor is kept only sealed under the spent token: the database alone yields no token', async ({ api }) => {
    const { pair } = await newAccount(api);
    const next: Pair = await (await refresh(api, pair.refresh_token)).json();
    const row = await withDb(async (db) => (await db.query('select * from sessions where id = $1', [decodeJwt(pair.access_token).sid])).rows[0]);
    const sealed: string = row.successor_ciphertext;
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(next.refresh_token);
    expect(openSuccessor(pair.refresh_token, sealed)).toBe(next.refresh_token);
    expect(openSuccessor(next.refresh_token, sealed)).toBeUndefined();
    // Nothing else in the row is either token, or a part of one.
    for (const token of [pair.refresh_token, next.refresh_token]) {
      expect(JSON.stringify(row)).not.toContain(token);
      expect(JSON.stringify(row)).not.toContain(token.slice(27));
    }
  });

  test('refreshes of one session wait for each other (the session row lock): both get the same successor', async ({ api }) => {
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;
    // Hold the session's row, fire two refreshes with one token, and let them go only once both wait.
    const responses = await holdingLocks(async (holder) => {
      await holder.query('select 1 from sessions where id = $1 for update', [sid]);
      const refreshing = [refresh(api, pair.refresh_token), refresh(api, pair.refresh_token)];
      await holder.waitForBlocked(2, refreshing);
      await holder.commit();
      return Promise.all(refreshing);
    });
    expect(responses.map((r) => r.status())).toEqual([200, 200]);
    const [a, b] = (await Promise.all(responses.map((r) => r.json()))) as Pair[];
    expect(b!.refresh_token).toBe(a!.refresh_token);
    expect(await isLive(sid, a!.refresh_token)).toBe(true);
    expect((await refresh(api, a!.refresh_token)).status()).toBe(200);
  });

  test('two concurrent refreshes with one token both get the one live successor', async ({ api }) => {
    for (let round = 0; round < 3; round++) {
      const { pair } = await newAccount(api);
      const sid = decodeJwt(pair.access_token).sid as string;
      const responses = await Promise.all([refresh(api, pair.refresh_token), refresh(api, pair.refresh_token)]);
      // Both are answered (the second inside the grace window), with the same token: the live one.
      expect(responses.map((r) => r.status()).sort()).toEqual([200, 200]);
      const [a, b] = await Promise.all(responses.map(async (r) => ((await r.json()) as Pair).refresh_token));
      expect(b).toBe(a);
      expect(await isLive(sid, a!)).toBe(true);
    }
  });

  test('an expired session refuses its refresh token', async ({ api }) => {
    const { pair } = await newAccount(api);
    await withDb((db) => db.query(`update sessions set expires_at = now() - interval '1 second' where id = $1`, [decodeJwt(pair.access_token).sid]));
    const response = await refresh(api, pair.refresh_token);
    expect(response.status()).toBe(401);
    expect(await response.json()).toEqual(INVALID_GRANT);
  });

  test('unknown and malformed tokens get invalid_grant', async ({ api }) => {
    // 'A' x 70 has the right shape and no session; 'B' x 70 is not a canonical base64url spelling.
    for (const token of ['A'.repeat(43), 'A'.repeat(70), 'B'.repeat(70), 'short', 'x'.repeat(200), "' or 1=1 --"]) {
      const response = await refresh(api, token);
      expect(response.status()).toBe(401);
      expect(await response.json()).toEqual(INVALID_GRANT);
    }
  });

  test('an inactive user cannot refresh', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    await withDb((db) => db.query('update users set is_active = false where email = $1', [email]));
    expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
  });

  test('a deleted user takes their sessions and refresh tokens along', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid;
    await withDb((db) => db.query('delete from users where email = $1', [email]));
    const left = await withDb(async (db) => (await db.query('select count(*)::int as n from sessions where id = $1', [sid])).rows[0].n);
    expect(left).toBe(0);
    expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
  });
});
