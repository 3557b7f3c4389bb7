/**
 * Sessions end: no refresh moves a session past created_at + SESSION_MAX_AGE. A server of its own runs
 * with SESSION_MAX_AGE=20s; time passes by ageing the session's created_at in the database.
 */
import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { INVALID_GRANT, newAccount, type Pair, refresh } from '../../support/sessions';

const MAX_AGE = 20;
let server: TestServer;

test.beforeAll(async () => {
  server = await startServer(serverEnv({ SESSION_MAX_AGE: `${MAX_AGE}s` }));
});
test.afterAll(async () => {
  await server?.stop();
});

async function ageSession(sid: string, seconds: number): Promise<void> {
  await withDb((db) => db.query('update sessions set created_at = created_at - make_interval(secs => $2) where id = $1', [sid, seconds]));
}

async function sessionTimes(sid: string): Promise<{ ends_at_max_age: boolean }> {
  return withDb(async (db) =>
    (await db.query(`select expires_at = created_at + make_interval(secs => $2) as ends_at_max_age from sessions where id = $1`, [sid, MAX_AGE])).rows[0],
  );
}

test.describe('SESSION_MAX_AGE', () => {
  test('login says the session ends at the max age when that comes before REFRESH_TOKEN_TTL', async ({ playwright }) => {
    const api = await playwright.request.newContext({ baseURL: server.url });
    const { pair } = await newAccount(api);
    expect(pair.refresh_expires_in).toBe(MAX_AGE);
    expect(await sessionTimes(decodeJwt(pair.access_token).sid as string)).toEqual({ ends_at_max_age: true });
    await api.dispose();
  });

  test('a refresh near the end does not extend the session; one past it gets invalid_grant', async ({ playwright }) => {
    const api = await playwright.request.newContext({ baseURL: server.url });
    const { pair } = await newAccount(api);
    const sid = decodeJwt(pair.access_token).sid as string;

    await ageSession(sid, 15);
    const late = await refresh(api, pair.refresh_token);
    expect(late.status()).toBe(200);
    const next: Pair = await late.json();
    expect(next.refresh_expires_in).toBeGreaterThan(0);
    expect(next.refresh_expires_in).toBeLessThanOrEqual(MAX_AGE - 15);
    expect(await sessionTimes(sid)).toEqual({ ends_at_max_age: true });

    await ageSession(sid, 6);
    const over = await refresh(api, next.refresh_token);
    expect(over.status()).toBe(401);
    expect(await over.json()).toEqual(INVALID_GRANT);
    await api.dispose();
  });
});
