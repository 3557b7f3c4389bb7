import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../../support/fixtures';
import { type Pair, ageSpentToken, answer, INVALID_GRANT, liveTokens, me, newAccount, refresh, SESSION_ENDED } from '../../support/sessions';

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
    await ageSpentToken(pair.refresh_token, 60);

    const reused = await refresh(api, pair.refresh_token);
    expect(reused.status()).toBe(401);
    expect(await reused.json()).toEqual(INVALID_GRANT);
    // The thief's copy and the rightful holder's current token are both dead now.
    expect(await answer(refresh(api, next.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    expect(await answer(me(api, next.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
  });

  test('within the grace window a retry gets a new pair and the lost one is revoked', async ({ api }) => {
    const { pair } = await newAccount(api);
    const lost: Pair = await (await refresh(api, pair.refresh_token)).json();
    const retry = await refresh(api, pair.refresh_token);
    expect(retry.status()).toBe(200);
    const current: Pair = await retry.json();
    const sid = decodeJwt(current.access_token).sid as string;
    expect(await liveTokens(sid)).toBe(1);
    expect((await refresh(api, current.refresh_token)).status()).toBe(200);
    // The answer that was lost carried a token that no longer works.
    await ageSpentToken(lost.refresh_token, 60);
    expect(await answer(refresh(api, lost.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
  });

  test('two concurrent refreshes with one token never leave two live tokens', async ({ api }) => {
    for (let round = 0; round < 3; round++) {
      const { pair } = await newAccount(api);
      const sid = decodeJwt(pair.access_token).sid as string;
      const responses = await Promise.all([refresh(api, pair.refresh_token), refresh(api, pair.refresh_token)]);
      // Both are answered (the second inside the grace window), but only one token is live after.
      expect(responses.map((r) => r.status()).sort()).toEqual([200, 200]);
      expect(await liveTokens(sid)).toBe(1);
      // ... and it is the one handed out last: the later answer's token.
      const tokens = await Promise.all(responses.map(async (r) => ((await r.json()) as Pair).refresh_token));
      const live = await withDb(async (db) =>
        (await db.query(
          `select count(*)::int as n from refresh_tokens where session_id = $1 and spent_at is null
           and token_hash in (select encode(sha256(convert_to(t, 'UTF8')), 'hex') from unnest($2::text[]) as t)`,
          [sid, tokens],
        )).rows[0].n,
      );
      expect(live).toBe(1);
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
    for (const token of ['A'.repeat(43), 'short', 'x'.repeat(200), "' or 1=1 --"]) {
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
    const left = await withDb(async (db) => (await db.query('select (select count(*)::int from sessions where id = $1) + (select count(*)::int from refresh_tokens where session_id = $1) as n', [sid])).rows[0].n);
    expect(left).toBe(0);
    expect(await answer(refresh(api, pair.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
  });
});
