/**
 * Second-step guesses count toward the account's login limits as password guesses do, on a server
 * of its own with limits on: 2 free attempts per address and account, then a back-off.
 */
import { randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail } from '../../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { totpCode } from '../../support/two-factor';

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

test('recovery-code and code guesses are counted like password guesses: past the free attempts, 429 before any check', async () => {
  const address = `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const email = uniqueEmail('2fa-limits');
  expect((await call('POST', '/auth/register', { email, password: PASSWORD }, { address: '198.19.0.1' })).status).toBe(201);
  const { access_token: token } = (await call('POST', '/auth/login', { email, password: PASSWORD }, { address: '198.19.0.1' })).body;
  const { secret } = (await call('POST', '/auth/2fa/totp/setup', { password: PASSWORD }, { address: '198.19.0.2', token })).body;
  expect((await call('POST', '/auth/2fa/totp/confirm', { code: totpCode(secret) }, { address: '198.19.0.2', token })).status).toBe(200);

  // From one address: the password (attempt 1), a wrong recovery code (attempt 2) ...
  const login = await call('POST', '/auth/login', { email, password: PASSWORD }, { address });
  expect(login.status).toBe(403);
  const guess = await call('POST', '/auth/login/2fa', { mfa_token: login.body.mfa_token, recovery_code: 'aaaaa-bbbbb' }, { address });
  expect(guess.status).toBe(401);
  // ... then the back-off: even the right code waits, so codes cannot be guessed faster than passwords.
  const next = await call('POST', '/auth/login/2fa', { mfa_token: login.body.mfa_token, code: totpCode(secret, 1) }, { address });
  expect(next.status).toBe(429);
  expect(next.body.error).toBe('rate_limited');
});
