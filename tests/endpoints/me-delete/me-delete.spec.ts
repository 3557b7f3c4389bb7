import { createHash, randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { forgotAndReadToken, registered } from '../../support/links';
import { login, me, refresh } from '../../support/sessions';
import { serverEnv, startServer } from '../../support/server';
import { waitForMail } from '../../support/smtp';

const remove = (api: Parameters<typeof registered>[0], token: string, body: unknown) =>
  api.delete('/auth/me', { headers: { authorization: `Bearer ${token}` }, data: body });

async function rowsOf(id: string): Promise<Record<string, number>> {
  return withDb(async (db) => {
    const { rows } = await db.query(
      `select (select count(*)::int from users where id = $1) as users,
              (select count(*)::int from sessions where user_id = $1) as sessions,
              (select count(*)::int from account_tokens where user_id = $1) as account_tokens`,
      [id],
    );
    return rows[0];
  });
}

test.describe('DELETE /auth/me', () => {
  test('with the password: 204, the account and everything of it are gone, and the owner is told', async ({ api }) => {
    const { email, id } = await registered(api, 'delete');
    await forgotAndReadToken(api, email); // a live reset link too
    const other = await login(api, email);
    const pair = await login(api, email);
    expect(await rowsOf(id)).toEqual({ users: 1, sessions: 2, account_tokens: 2 });

    const response = await remove(api, pair.access_token, { password: PASSWORD });
    expect(response.status()).toBe(204);
    expect(await response.text()).toBe('');

    expect(await rowsOf(id)).toEqual({ users: 0, sessions: 0, account_tokens: 0 });
    for (const session of [pair, other]) {
      expect((await me(api, session.access_token)).status()).toBe(401);
      expect((await refresh(api, session.refresh_token)).status()).toBe(401);
    }
    expect((await api.post('/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(401);
    const notice = await waitForMail({ to: email, kind: 'account_deleted' });
    expect(notice.text).toContain('was deleted');
    // The email is free again.
    expect((await api.post('/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
  });

  test('a wrong password: 403 incorrect_password, and nothing is deleted', async ({ api }) => {
    const { email, id } = await registered(api, 'delete-wrong');
    const pair = await login(api, email);
    const response = await remove(api, pair.access_token, { password: 'not my password' });
    expect(response.status()).toBe(403);
    expect(await response.json()).toEqual({ error: 'incorrect_password', message: expect.any(String) });
    expect((await rowsOf(id)).users).toBe(1);
    expect((await me(api, pair.access_token)).status()).toBe(200);
  });

  test('the password is required (422), and no access token is a 401 from the guard', async ({ api }) => {
    const { email } = await registered(api, 'delete-body');
    const pair = await login(api, email);
    const missing = await remove(api, pair.access_token, {});
    expect(missing.status()).toBe(422);
    expect((await missing.json()).fields).toEqual({ password: expect.any(String) });
    const anonymous = await api.delete('/auth/me', { data: { password: PASSWORD } });
    expect(anonymous.status()).toBe(401);
    expect((await me(api, pair.access_token)).status()).toBe(200);
  });
});

test('wrong passwords count against the account like logins (as a password change does), and deletion forgets its counters', async () => {
  const server = await startServer(serverEnv({ RATE_LIMIT: 'on', LOGIN_FAILURES_BEFORE_BACKOFF: '5', LOGIN_BACKOFF_MAX: '1h', TRUST_PROXY: '1' }));
  try {
    const headers = (extra: Record<string, string> = {}) => ({
      'content-type': 'application/json',
      'x-forwarded-for': `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`,
      ...extra,
    });
    const email = uniqueEmail('delete-limit');
    const body = JSON.stringify({ email, password: PASSWORD });
    expect((await fetch(`${server.url}/auth/register`, { method: 'POST', headers: headers(), body })).status).toBe(201);
    const token = (await (await fetch(`${server.url}/auth/login`, { method: 'POST', headers: headers(), body })).json()).access_token;
    const attempt = (password: string) =>
      fetch(`${server.url}/auth/me`, { method: 'DELETE', headers: headers({ authorization: `Bearer ${token}` }), body: JSON.stringify({ password }) });

    const key = `login:account:${createHash('sha256').update(email).digest('hex')}`;
    const counter = async () => withDb(async (db) => (await db.query('select hits from rate_limits where key = $1', [key])).rows[0]?.hits);
    expect((await attempt('guess one')).status).toBe(403);
    expect((await attempt('guess two')).status).toBe(403);
    expect(await counter()).toBe(2); // counted on the account's login counter
    // While the account is at its cap (LOGIN_ACCOUNT_MAX_FAILURES, 20 an hour), even the right password waits.
    await withDb((db) => db.query(`update rate_limits set hits = 20 where key = $1`, [key]));
    const limited = await attempt(PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3000);

    await withDb((db) => db.query(`update rate_limits set hits = 2 where key = $1`, [key]));
    expect((await attempt(PASSWORD)).status).toBe(204);
    // Every counter of the account goes: its count and each address's (lib/auth/limits/counters.ts).
    const left = await withDb(async (db) => (await db.query(`select count(*)::int as n from rate_limits where key = $1 or key like $1 || ':%'`, [key])).rows[0].n);
    expect(left).toBe(0);
  } finally {
    await server.stop();
  }
});
