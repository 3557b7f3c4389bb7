import { createHash, randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../support/server';

// Servers of their own with limits on and small, so that tests reach them in a few requests.
const LIMITS = {
  RATE_LIMIT: 'on',
  RATE_LIMIT_LOGIN: '6/1m',
  RATE_LIMIT_REGISTER: '3/1h',
  RATE_LIMIT_REFRESH: '3/1m',
  LOGIN_FAILURES_BEFORE_BACKOFF: '3',
  LOGIN_BACKOFF_MAX: '20s',
};

test.describe.configure({ mode: 'serial' });

let behindProxy: TestServer; // TRUST_PROXY=1: the client is the X-Forwarded-For entry
let direct: TestServer; // no TRUST_PROXY: the client is the TCP peer, whatever X-Forwarded-For says

test.beforeAll(async () => {
  [behindProxy, direct] = await Promise.all([
    startServer(serverEnv({ ...LIMITS, TRUST_PROXY: '1' })),
    startServer(serverEnv(LIMITS)),
  ]);
});
test.afterAll(async () => {
  await Promise.all([behindProxy?.stop(), direct?.stop()]);
});

/**
 * A made-up client address (from the 198.18.0.0/15 benchmarking range), fresh per call so that tests
 * do not share buckets, behind a spoofed entry: with TRUST_PROXY=1 only the rightmost entry counts.
 */
const newAddress = () => `6.6.6.6, 198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;

function post(server: TestServer, path: string, body: unknown, address?: string) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(address ? { 'x-forwarded-for': address } : {}) },
    body: JSON.stringify(body),
  });
}

async function expectLimited(response: Response, maxRetryAfter: number) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  expect(await response.json()).toEqual({ error: 'rate_limited', message: expect.stringMatching(/Try again in \d+ seconds/) });
}

const accountKey = (email: string) => `login:account:${createHash('sha256').update(email).digest('hex')}`;

async function register(server: TestServer, address = newAddress()) {
  const email = uniqueEmail('limits');
  expect((await post(server, '/auth/register', { email, password: PASSWORD }, address)).status).toBe(201);
  return email;
}

test('registration is limited per client address', async () => {
  const address = newAddress();
  for (let i = 0; i < 3; i++) await register(behindProxy, address);
  await expectLimited(await post(behindProxy, '/auth/register', { email: uniqueEmail(), password: PASSWORD }, address), 3600);
  // another address is not affected
  await register(behindProxy);
});

test('without TRUST_PROXY a client cannot pick its bucket with X-Forwarded-For', async () => {
  for (let i = 0; i < 3; i++) {
    expect((await post(direct, '/auth/register', { email: uniqueEmail(), password: PASSWORD }, newAddress())).status).toBe(201);
  }
  await expectLimited(await post(direct, '/auth/register', { email: uniqueEmail(), password: PASSWORD }, newAddress()), 3600);
});

test('login attempts are limited per client address', async () => {
  const address = newAddress();
  const email = await register(behindProxy);
  for (let i = 0; i < 6; i++) {
    // a different unknown account each time, so that only the address limit can apply
    expect((await post(behindProxy, '/auth/login', { email: uniqueEmail('nobody'), password: 'wrong password' }, address)).status).toBe(401);
  }
  await expectLimited(await post(behindProxy, '/auth/login', { email, password: PASSWORD }, address), 60);
  expect((await post(behindProxy, '/auth/login', { email, password: PASSWORD }, newAddress())).status).toBe(200);
});

test('refresh is limited per client address', async () => {
  const address = newAddress();
  const email = await register(behindProxy);
  let token = (await (await post(behindProxy, '/auth/login', { email, password: PASSWORD }, newAddress())).json()).refresh_token;
  for (let i = 0; i < 3; i++) {
    const response = await post(behindProxy, '/auth/refresh', { refresh_token: token }, address);
    expect(response.status).toBe(200);
    token = (await response.json()).refresh_token;
  }
  await expectLimited(await post(behindProxy, '/auth/refresh', { refresh_token: token }, address), 60);
});

test('failed logins of one account back off, growing, capped; the right password waits too; success clears them', async () => {
  const email = await register(behindProxy);
  const attempt = (password: string) => post(behindProxy, '/auth/login', { email, password }, newAddress());
  const expire = () => withDb((db) => db.query('update rate_limits set blocked_until = now() - interval \'1 second\' where key = $1', [accountKey(email)]));

  // 3 failures are free; the third starts a 1 s back-off, from every address.
  for (let i = 0; i < 3; i++) expect((await attempt('wrong password')).status).toBe(401);
  await expectLimited(await attempt(PASSWORD), 1);
  // Once it has passed, the next failure doubles it.
  await expire();
  expect((await attempt('wrong password')).status).toBe(401);
  await expectLimited(await attempt('wrong password'), 2);
  // However many failures, the wait never exceeds LOGIN_BACKOFF_MAX (20 s): no lock-out for good.
  await withDb((db) => db.query('update rate_limits set hits = 60 where key = $1', [accountKey(email)]));
  await expire();
  expect((await attempt('wrong password')).status).toBe(401);
  await expectLimited(await attempt(PASSWORD), 20);
  // After the wait the right password works, and the account's failures are forgotten.
  await expire();
  expect((await attempt(PASSWORD)).status).toBe(200);
  const left = await withDb(async (db) => (await db.query('select count(*)::int as n from rate_limits where key = $1', [accountKey(email)])).rows[0].n);
  expect(left).toBe(0);
});

test('a burst of parallel guesses at one account from many addresses is throttled all the same', async () => {
  const email = await register(behindProxy);
  const statuses = await Promise.all(
    Array.from({ length: 20 }, () => post(behindProxy, '/auth/login', { email, password: 'a wrong guess' }, newAddress()).then((r) => r.status)),
  );
  // 3 attempts are free; the rest find the account backing off (counted before the password is checked).
  expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
});

test('password changes count against the account like logins: a stolen access token cannot guess the password', async () => {
  const email = await register(behindProxy);
  const { access_token } = await (await post(behindProxy, '/auth/login', { email, password: PASSWORD }, newAddress())).json();
  const change = (current_password: string) =>
    fetch(`${behindProxy.url}/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}`, 'x-forwarded-for': newAddress() },
      body: JSON.stringify({ current_password, new_password: 'a brand new passphrase' }),
    });
  for (let i = 0; i < 3; i++) expect((await change('a wrong guess')).status).toBe(403);
  await expectLimited(await change(PASSWORD), 1);
});

test('an unknown email backs off exactly like a real one (limits reveal no accounts)', async () => {
  const ghost = uniqueEmail('ghost');
  for (let i = 0; i < 3; i++) expect((await post(behindProxy, '/auth/login', { email: ghost, password: 'x' }, newAddress())).status).toBe(401);
  await expectLimited(await post(behindProxy, '/auth/login', { email: ghost, password: 'x' }, newAddress()), 1);
});

test('db:prune removes rate-limit rows untouched for a day', async () => {
  const { runScript } = await import('../support/commands');
  await withDb((db) => db.query(`insert into rate_limits (key, hits, updated_at) values ('test:stale', 1, now() - interval '2 days'), ('test:fresh', 1, now())`));
  expect((await runScript('prune')).code).toBe(0);
  const keys = await withDb(async (db) => (await db.query(`select key from rate_limits where key like 'test:%' order by key`)).rows.map((r) => r.key));
  expect(keys).toEqual(['test:fresh']);
});
