import { decodeJwt } from 'jose';
import { openSuccessor } from '../../../lib/auth/crypto/successor-seal';
import { expect, test, withDb } from '../../support/fixtures';
import { holdingLocks } from '../../support/interleave';
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
    expect(await liveTokens(decodeJwt(again.access_token).sid as string)).toBe(1);
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
    // A tab several rotations behind (still within the window) gets the live token too.
    const behind = await refresh(api, pair.refresh_token);
    expect(behind.status()).toBe(200);
    expect((await behind.json()).refresh_token).toBe(nextA.refresh_token);
    expect(await liveTokens(sid)).toBe(1);
    expect((await me(api, nextA.access_token)).status()).toBe(200);
    expect((await refresh(api, nextA.refresh_token)).status()).toBe(200);
  });

  test('the successor is kept only sealed under the spent token: the database alone yields no token', async ({ api }) => {
    const { pair } = await newAccount(api);
    const next: Pair = await (await refresh(api, pair.refresh_token)).json();
    const sealed: string = await withDb(async (db) =>
      (await db.query(`select successor_ciphertext from refresh_tokens where token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`, [pair.refresh_token])).rows[0].successor_ciphertext,
    );
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(next.refresh_token);
    expect(openSuccessor(pair.refresh_token, sealed)).toBe(next.refresh_token);
    expect(openSuccessor(next.refresh_token, sealed)).toBeUndefined();
    // The live token's row holds nothing but its hash.
    const live = await withDb(async (db) =>
      (await db.query(`select * from refresh_tokens where token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`, [next.refresh_token])).rows[0],
    );
    expect(live.successor_ciphertext).toBeNull();
    expect(JSON.stringify(live)).not.toContain(next.refresh_token);
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
    expect(await liveTokens(sid)).toBe(1);
    expect((await refresh(api, a!.refresh_token)).status()).toBe(200);
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
