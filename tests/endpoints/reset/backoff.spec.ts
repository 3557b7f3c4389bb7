import { createHash, randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { linkToken } from '../../support/links';
import { serverEnv, startServer, type TestServer } from '../../support/server';

// Limits on, on a server of its own: a reset must free an account that failed logins have blocked.
let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(serverEnv({ RATE_LIMIT: 'on', LOGIN_FAILURES_BEFORE_BACKOFF: '1', LOGIN_BACKOFF_MAX: '1h', TRUST_PROXY: '1' }));
});
test.afterAll(async () => server?.stop());

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}` },
    body: JSON.stringify(body),
  });

const accountKey = (email: string) => `login:account:${createHash('sha256').update(email).digest('hex')}`;

test('a reset forgets the failed logins: an account blocked by guesses logs in at once with its new password', async () => {
  const email = uniqueEmail('reset-backoff');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
  expect((await post('/auth/login', { email, password: 'a wrong guess' })).status).toBe(401);
  // As if guesses from many addresses had brought the account to its cap (LOGIN_ACCOUNT_MAX_FAILURES).
  await withDb((db) => db.query(`update rate_limits set hits = 1000 where key = $1`, [accountKey(email)]));
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(429);

  expect((await post('/auth/password/forgot', { email })).status).toBe(202);
  const token = await linkToken(email, 'password_reset');
  expect((await post('/auth/password/reset', { token, new_password: 'the new passphrase' })).status).toBe(200);

  // Every counter of the account: its count, and each address's (lib/auth/limits/counters.ts, loginCountersOf).
  const rows = await withDb(async (db) => (await db.query(`select count(*)::int as n from rate_limits where key = $1 or key like $1 || ':%'`, [accountKey(email)])).rows[0].n);
  expect(rows).toBe(0);
  expect((await post('/auth/login', { email, password: 'the new passphrase' })).status).toBe(200);
});
