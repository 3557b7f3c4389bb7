import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../../support/fixtures';
import { answer, INVALID_GRANT, login, me, newAccount, refresh, SESSION_ENDED } from '../../support/sessions';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sid = (token: string) => decodeJwt(token).sid as string;
type Listed = { id: string; created_at: string; last_used_at: string; expires_at: string; current: boolean; user_agent: string | null; ip: string | null };

test.describe('GET /auth/sessions', () => {
  test("lists the user's live sessions, newest first, the token's own marked current, with the client each started from", async ({ api, playwright }) => {
    const { email, pair: first } = await newAccount(api);
    const phone = await playwright.request.newContext({ baseURL: process.env.TEST_BASE_URL, extraHTTPHeaders: { 'user-agent': 'Phone/1.0 ' + 'x'.repeat(300) } });
    const second = await login(phone, email);
    const ended = await login(api, email);
    await api.post('/auth/logout', { headers: bearer(ended.access_token) });

    const response = await api.get('/auth/sessions', { headers: bearer(first.access_token) });
    expect(response.status()).toBe(200);
    const sessions = (await response.json()) as Listed[];
    expect(sessions.map((s) => s.id)).toEqual([sid(second.access_token), sid(first.access_token)]);
    expect(sessions.map((s) => s.current)).toEqual([false, true]);
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent']);
      expect(Date.parse(session.expires_at)).toBeGreaterThan(Date.now());
      expect(Date.parse(session.last_used_at)).toBeGreaterThanOrEqual(Date.parse(session.created_at) - 1000);
      // The test client talks to the server over loopback (no TRUST_PROXY): the address the limits use.
      expect(session.ip).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    }
    expect(sessions[0]!.user_agent).toBe(('Phone/1.0 ' + 'x'.repeat(300)).slice(0, 200));
    // From the phone's own token, the phone's session is the current one.
    const fromPhone = (await (await phone.get('/auth/sessions', { headers: bearer(second.access_token) })).json()) as Listed[];
    expect(fromPhone.map((s) => s.current)).toEqual([true, false]);
    await phone.dispose();
  });

  test("shows only the user's own sessions, and not expired ones", async ({ api }) => {
    const mine = await newAccount(api);
    const theirs = await newAccount(api);
    const old = await login(api, mine.email);
    await withDb((db) => db.query('update sessions set expires_at = now() - interval \'1 second\' where id = $1', [sid(old.access_token)]));
    const sessions = (await (await api.get('/auth/sessions', { headers: bearer(mine.pair.access_token) })).json()) as Listed[];
    expect(sessions.map((s) => s.id)).toEqual([sid(mine.pair.access_token)]);
    expect(sessions.map((s) => s.id)).not.toContain(sid(theirs.pair.access_token));
  });

  test('a refresh moves last_used_at forward', async ({ api }) => {
    const { pair } = await newAccount(api);
    await withDb((db) => db.query("update sessions set last_used_at = now() - interval '1 hour' where id = $1", [sid(pair.access_token)]));
    const before = ((await (await api.get('/auth/sessions', { headers: bearer(pair.access_token) })).json()) as Listed[])[0]!;
    const next = await (await refresh(api, pair.refresh_token)).json();
    const after = ((await (await api.get('/auth/sessions', { headers: bearer(next.access_token) })).json()) as Listed[])[0]!;
    expect(Date.parse(after.last_used_at) - Date.parse(before.last_used_at)).toBeGreaterThan(3000_000);
  });

  test('needs a token', async ({ api }) => {
    expect(await answer(api.get('/auth/sessions'))).toEqual({ status: 401, body: { error: 'unauthorized', message: expect.any(String) } });
  });
});

test.describe('DELETE /auth/sessions/{id}', () => {
  test('ends one of the user\'s own sessions: 204, its refresh and access tokens stop working, the others go on', async ({ api }) => {
    const { email, pair } = await newAccount(api);
    const other = await login(api, email);
    const response = await api.delete(`/auth/sessions/${sid(other.access_token)}`, { headers: bearer(pair.access_token) });
    expect(response.status()).toBe(204);
    expect(await answer(refresh(api, other.refresh_token))).toEqual({ status: 401, body: INVALID_GRANT });
    expect(await answer(me(api, other.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
    expect((await me(api, pair.access_token)).status()).toBe(200);
    const left = (await (await api.get('/auth/sessions', { headers: bearer(pair.access_token) })).json()) as Listed[];
    expect(left.map((s) => s.id)).toEqual([sid(pair.access_token)]);
  });

  test('ending the current session works like logout', async ({ api }) => {
    const { pair } = await newAccount(api);
    expect((await api.delete(`/auth/sessions/${sid(pair.access_token)}`, { headers: bearer(pair.access_token) })).status()).toBe(204);
    expect(await answer(me(api, pair.access_token))).toEqual({ status: 401, body: SESSION_ENDED });
  });

  test("404 for someone else's session (which goes on), an ended one and an unknown id", async ({ api }) => {
    const { pair } = await newAccount(api);
    const victim = await newAccount(api);
    const notFound = { status: 404, body: { error: 'not_found', message: expect.stringContaining('session') } };
    expect(await answer(api.delete(`/auth/sessions/${sid(victim.pair.access_token)}`, { headers: bearer(pair.access_token) }))).toEqual(notFound);
    expect((await me(api, victim.pair.access_token)).status()).toBe(200);
    expect((await refresh(api, victim.pair.refresh_token)).status()).toBe(200);

    const ended = await login(api, (await newAccount(api)).email);
    await api.post('/auth/logout', { headers: bearer(ended.access_token) });
    const same = await newAccount(api);
    const again = await login(api, same.email);
    await api.post('/auth/logout', { headers: bearer(again.access_token) });
    expect(await answer(api.delete(`/auth/sessions/${sid(again.access_token)}`, { headers: bearer(same.pair.access_token) }))).toEqual(notFound);
    expect(await answer(api.delete('/auth/sessions/0b9c1c1e-4a6f-4a55-9d3c-1f1f2b2b3c3c', { headers: bearer(pair.access_token) }))).toEqual(notFound);
  });

  test('a malformed id is a 422 naming it, before any query', async ({ api }) => {
    const { pair } = await newAccount(api);
    for (const id of ['not-a-uuid', "1' or '1'='1", '0b9c1c1e-4a6f-4a55-9d3c-1f1f2b2b3c3']) {
      const response = await api.delete(`/auth/sessions/${encodeURIComponent(id)}`, { headers: bearer(pair.access_token) });
      expect(response.status(), id).toBe(422);
      const body = await response.json();
      expect(body.error).toBe('validation_error');
      expect(Object.keys(body.fields)).toEqual(['id']);
    }
  });

  test('needs a token: 401 from the proxy, whatever the id', async ({ api }) => {
    for (const id of ['0b9c1c1e-4a6f-4a55-9d3c-1f1f2b2b3c3c', 'not-a-uuid']) {
      expect(await answer(api.delete(`/auth/sessions/${id}`))).toEqual({ status: 401, body: { error: 'unauthorized', message: expect.any(String) } });
    }
  });
});
