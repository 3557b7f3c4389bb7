import { decodeJwt } from 'jose';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../support/fixtures';
import type { APIRequestContext } from '@playwright/test';

type Pair = { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number; token_type: string };

async function login(api: APIRequestContext, email: string, password = PASSWORD): Promise<Pair> {
  const response = await api.post('/auth/login', { data: { email, password } });
  expect(response.status()).toBe(200);
  return response.json();
}

async function newAccount(api: APIRequestContext): Promise<{ email: string; pair: Pair }> {
  const email = uniqueEmail('session');
  expect((await api.post('/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
  return { email, pair: await login(api, email) };
}

const refresh = (api: APIRequestContext, refresh_token: string) => api.post('/auth/refresh', { data: { refresh_token } });
const me = (api: APIRequestContext, token: string) => api.get('/auth/me', { headers: { authorization: `Bearer ${token}` } });
const INVALID_GRANT = { error: 'invalid_grant', message: expect.any(String) };

/** Moves the moment a refresh token was spent into the past, as if time had passed. */
async function ageSpentToken(token: string, seconds: number): Promise<void> {
  await withDb((db) =>
    db.query(
      `update refresh_tokens set spent_at = spent_at - make_interval(secs => $2)
       where token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
      [token, seconds],
    ),
  );
}

async function liveTokens(sessionId: string): Promise<number> {
  return withDb(async (db) => (await db.query('select count(*)::int as n from refresh_tokens where session_id = $1 and spent_at is null', [sessionId])).rows[0].n);
}

test.describe('login opens a session', () => {
  test('returns a refresh token and an access token carrying the session id', async ({ api }) => {
    const { pair } = await newAccount(api);
    expect(pair).toMatchObject({ token_type: 'bearer', expires_in: 900, refresh_expires_in: 30 * 86400 });
    expect(pair.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { sid } = decodeJwt(pair.access_token);
    const stored = await withDb(async (db) => (await db.query('select token_hash from refresh_tokens where session_id = $1', [sid])).rows);
    expect(stored).toHaveLength(1);
    expect(stored[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0].token_hash).not.toContain(pair.refresh_token);
  });
});

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
    expect((await refresh(api, next.refresh_token)).status()).toBe(401);
    expect((await me(api, next.access_token)).status()).toBe(401);
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
    expect((await refresh(api, lost.refresh_token)).status()).toBe(401);
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
    expect((await refresh(api, pair.refresh_token)).status()).toBe(401);
  });

  test('a deleted user takes their sessions and refresh tokens along', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid;
    await withDb((db) => db.query('delete from users where email = $1', [email]));
    const left = await withDb(async (db) => (await db.query('select (select count(*)::int from sessions where id = $1) + (select count(*)::int from refresh_tokens where session_id = $1) as n', [sid])).rows[0].n);
    expect(left).toBe(0);
    expect((await refresh(api, pair.refresh_token)).status()).toBe(401);
  });
});

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

test.describe('POST /auth/password', () => {
  test('changes the password and ends the other sessions, keeping this one', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const other = await login(api, email);
    const response = await api.post('/auth/password', {
      headers: { authorization: `Bearer ${pair.access_token}` },
      data: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    });
    expect(response.status()).toBe(204);
    expect((await me(api, pair.access_token)).status()).toBe(200);
    expect((await me(api, other.access_token)).status()).toBe(401);
    expect((await refresh(api, other.refresh_token)).status()).toBe(401);
    expect((await api.post('/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(401);
    await login(api, email, 'a brand new passphrase');
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
