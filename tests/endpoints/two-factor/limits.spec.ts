/**
 * Second-step guesses count toward the account's login limits as password guesses do, on a server
 * of its own with limits on: 2 free attempts per address and account, then a back-off.
 */
import { createHash, randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { totpCode, wrongCode } from '../../support/two-factor';

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(serverEnv({ RATE_LIMIT: 'on', LOGIN_FAILURES_BEFORE_BACKOFF: '2', LOGIN_BACKOFF_MAX: '1h', TRUST_PROXY: '1' }));
});
test.afterAll(async () => server?.stop());

async function call(method: string, path: string, body: unknown, { address, token }: { address: string; token?: string }) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

test('code guesses are counted like password guesses: the right password stands for the first try, then FREE tries are checked, then 429 before any check', async () => {
  const address = `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const email = uniqueEmail('2fa-limits');
  expect((await call('POST', '/auth/register', { email, password: PASSWORD }, { address: '198.19.0.1' })).status).toBe(201);
  const { access_token: token } = (await call('POST', '/auth/login', { email, password: PASSWORD }, { address: '198.19.0.1' })).body;
  const { secret } = (await call('POST', '/auth/2fa/totp/setup', { password: PASSWORD }, { address: '198.19.0.2', token })).body;
  expect((await call('POST', '/auth/2fa/totp/confirm', { code: totpCode(secret) }, { address: '198.19.0.2', token })).status).toBe(200);

  // From one address: the password (attempt 1, standing for the first try), a wrong recovery code
  // (the first try), a wrong code (attempt 2) ...
  const login = await call('POST', '/auth/login', { email, password: PASSWORD }, { address });
  expect(login.status).toBe(403);
  const mfa_token = login.body.mfa_token;
  expect((await call('POST', '/auth/login/2fa', { mfa_token, recovery_code: 'aaaaa-bbbbb' }, { address })).status).toBe(401);
  expect((await call('POST', '/auth/login/2fa', { mfa_token, code: wrongCode(secret) }, { address })).status).toBe(401);
  // ... then the back-off: even the right code waits, so codes cannot be guessed faster than passwords.
  // (The 1 s back-off it started is stretched first: on a slow machine it could pass before the next try.)
  const pair = `login:account:${createHash('sha256').update(email).digest('hex')}:ip:${address}`;
  const held = await withDb((db) => db.query(`update rate_limits set blocked_until = now() + interval '1 minute' where key = $1 and blocked_until is not null`, [pair]));
  expect(held.rowCount).toBe(1);
  const next = await call('POST', '/auth/login/2fa', { mfa_token, code: totpCode(secret, 1) }, { address });
  expect(next.status).toBe(429);
  expect(next.body.error).toBe('rate_limited');
});

test('confirm tries are counted like password guesses: an access token alone cannot try every code against a pending secret', async () => {
  const address = `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const email = uniqueEmail('2fa-confirm-limits');
  expect((await call('POST', '/auth/register', { email, password: PASSWORD }, { address: '198.19.0.1' })).status).toBe(201);
  const { access_token: token } = (await call('POST', '/auth/login', { email, password: PASSWORD }, { address: '198.19.0.1' })).body;
  // The setup's password (attempt 1), then a wrong code (attempt 2: checked) ...
  const { secret } = (await call('POST', '/auth/2fa/totp/setup', { password: PASSWORD }, { address, token })).body;
  const wrong = await call('POST', '/auth/2fa/totp/confirm', { code: wrongCode(secret) }, { address, token });
  expect(wrong.status).toBe(403);
  expect(wrong.body.error).toBe('invalid_code');
  // ... then the back-off (stretched: on a slow machine its 1 s could pass before the next try), the right code too.
  const pair = `login:account:${createHash('sha256').update(email).digest('hex')}:ip:${address}`;
  const held = await withDb((db) => db.query(`update rate_limits set blocked_until = now() + interval '1 minute' where key = $1 and blocked_until is not null`, [pair]));
  expect(held.rowCount).toBe(1);
  const next = await call('POST', '/auth/2fa/totp/confirm', { code: totpCode(secret) }, { address, token });
  expect(next.status).toBe(429);
  expect(next.body.error).toBe('rate_limited');
});
