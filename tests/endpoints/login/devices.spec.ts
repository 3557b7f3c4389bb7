import { createHash, randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { linkToken } from '../../support/links';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { totpCode, wrongCode } from '../../support/two-factor';

/**
 * No lock-out from a handful of addresses (docs/security.md, "Known devices and addresses"): the
 * account-wide cap holds back unknown clients only; a known device (its device_token) or an address
 * the account logged in from has a back-off of its own. A server of its own with small limits;
 * TRUST_PROXY=1 so that each request picks its client address.
 */
const FREE = 3; // LOGIN_FAILURES_BEFORE_BACKOFF
const ACCOUNT_MAX = 10; // LOGIN_ACCOUNT_MAX_FAILURES

test.describe.configure({ mode: 'serial' });

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(
    serverEnv({
      RATE_LIMIT: 'on',
      TRUST_PROXY: '1',
      LOGIN_FAILURES_BEFORE_BACKOFF: String(FREE),
      LOGIN_ACCOUNT_MAX_FAILURES: `${ACCOUNT_MAX}/1h`,
      LOGIN_BACKOFF_MAX: '20s',
    }),
  );
});
test.afterAll(async () => server?.stop());

let counter = randomInt(0, 1 << 16);
/** A fresh IPv4 address (198.18.0.0/15, the benchmarking range). */
const newAddress = () => {
  const n = counter++ % (1 << 16);
  return `198.19.${n >> 8}.${n & 255}`;
};

async function post(path: string, body: unknown, address: string) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const login = (email: string, password: string, address: string, device_token?: string) =>
  post('/auth/login', { email, password, ...(device_token ? { device_token } : {}) }, address);
const status = async (...args: Parameters<typeof login>) => (await login(...args)).status;

/** A new account, logged in once from `home`: its device token. */
async function ownerAt(home: string): Promise<{ email: string; device: string }> {
  const email = uniqueEmail('device');
  expect((await post('/auth/register', { email, password: PASSWORD }, home)).status).toBe(201);
  const first = await login(email, PASSWORD, home);
  expect(first.status).toBe(200);
  expect(first.body.device_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { email, device: first.body.device_token };
}

/** Wrong guesses from `addresses` new addresses, FREE each: enough to bring the account to its cap. */
async function capFromAddresses(email: string, addresses = Math.ceil(ACCOUNT_MAX / FREE)) {
  for (let a = 0; a < addresses; a++) {
    const attacker = newAddress();
    for (let i = 0; i < FREE; i++) await status(email, 'a wrong guess', attacker);
  }
  // Capped now: the right password from an unknown client waits.
  expect(await status(email, PASSWORD, newAddress())).toBe(429);
}

test('4 addresses bring the account to its cap, yet the owner logs in with their device token, or from the address they logged in from', async () => {
  const home = newAddress();
  const { email, device } = await ownerAt(home);
  await capFromAddresses(email);
  // The device, from anywhere.
  const fromCafe = await login(email, PASSWORD, newAddress(), device);
  expect(fromCafe.status).toBe(200);
  expect(fromCafe.body.device_token).toBe(device); // one token per device, kept while it is used
  // The address, without the token.
  expect(await status(email, PASSWORD, home)).toBe(200);
  // An unknown client is still held back: distributed guessing stays capped.
  expect(await status(email, PASSWORD, newAddress())).toBe(429);
});

test('the device token also works as a form field of the OAuth2 password grant', async () => {
  const { email, device } = await ownerAt(newAddress());
  await capFromAddresses(email);
  const response = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': newAddress() },
    body: new URLSearchParams({ grant_type: 'password', username: email, password: PASSWORD, device_token: device }),
  });
  expect(response.status).toBe(200);
});

test('a stolen device token gains the thief nothing but its own back-off: FREE guesses, then waits', async () => {
  const { email, device } = await ownerAt(newAddress());
  const thief = newAddress();
  for (let i = 0; i < FREE; i++) expect(await status(email, 'a wrong guess', thief, device)).toBe(401);
  // The device's own lane counted them and backs off (1 s, doubling); the account's count did not move.
  const accountKey = `login:account:${createHash('sha256').update(email).digest('hex')}`;
  const lane = `${accountKey}:device:${createHash('sha256').update(device).digest('hex')}`;
  const rows = await withDb(async (db) => (await db.query('select key, hits, blocked_until > now() - interval \'1 minute\' as backing_off from rate_limits where key like $1 || \'%\'', [accountKey])).rows);
  expect(rows).toEqual([{ key: lane, hits: FREE, backing_off: true }]);
  // While the back-off runs (lengthened here, as if it had doubled a few times), the token waits from
  // any address: it is the same device.
  await withDb((db) => db.query(`update rate_limits set blocked_until = now() + interval '1 minute' where key = $1`, [lane]));
  expect(await status(email, 'a wrong guess', newAddress(), device)).toBe(429);
  expect(await status(email, PASSWORD, thief, device)).toBe(429);
});

test('a device token of another account does nothing: the account cap still holds that client back', async () => {
  const { device: otherDevice } = await ownerAt(newAddress());
  const { email } = await ownerAt(newAddress());
  await capFromAddresses(email);
  expect(await status(email, PASSWORD, newAddress(), otherDevice)).toBe(429);
  expect(await status(email, PASSWORD, newAddress(), 'not-a-device-token')).toBe(429);
});

test("a right password from a known device forgets that device's failures only", async () => {
  const { email, device } = await ownerAt(newAddress());
  const stranger = newAddress();
  for (let i = 0; i < FREE; i++) expect(await status(email, 'a wrong guess', stranger)).toBe(401);
  expect(await status(email, 'a typo', newAddress(), device)).toBe(401);
  expect(await status(email, PASSWORD, newAddress(), device)).toBe(200);
  // The device has all its free attempts back...
  for (let i = 0; i < FREE; i++) expect(await status(email, 'a typo', newAddress(), device)).toBe(401);
  // ...while the stranger's failures are still counted (and their share of the account's count).
  const accountKey = `login:account:${createHash('sha256').update(email).digest('hex')}`;
  const hits = async (key: string) => withDb(async (db) => (await db.query('select hits from rate_limits where key = $1', [key])).rows[0]?.hits);
  expect(await hits(`${accountKey}:ip:${stranger}`)).toBe(FREE);
  expect(await hits(accountKey)).toBe(FREE);
});

test('IPv6: the /64s of one /56 are one source for the account cap (4 /64s of one /62 stop no one)', async () => {
  const { email } = await ownerAt(newAddress());
  // Four /64s of one /62: 2001:db8:g:hh00::/56 holds the 256 /64s 2001:db8:g:hhXX::/64.
  const [group, high, base] = [randomInt(0, 0xffff), randomInt(1, 0xff), randomInt(0, 0x40) * 4];
  const statuses: number[] = [];
  for (let subnet = 0; subnet < 4; subnet++) {
    const address = `2001:db8:${group.toString(16)}:${((high << 8) | (base + subnet)).toString(16)}::1`;
    for (let i = 0; i < FREE; i++) statuses.push(await status(email, 'a wrong guess', address));
  }
  // The /56 added its free guesses to the account's count, no more: the other /64s shared its back-off.
  const accountKey = `login:account:${createHash('sha256').update(email).digest('hex')}`;
  const counted = await withDb(async (db) => (await db.query('select hits from rate_limits where key = $1', [accountKey])).rows[0]?.hits);
  expect(counted).toBe(FREE);
  expect(statuses.filter((s) => s === 401).length).toBeLessThan(4 * FREE);
  // The owner, from a new client, is not held back.
  expect(await status(email, PASSWORD, newAddress())).toBe(200);
});

test('a completed reset answers a device token: the same addresses cannot lock the owner out again', async () => {
  const home = newAddress();
  const email = uniqueEmail('device-reset');
  expect((await post('/auth/register', { email, password: PASSWORD }, home)).status).toBe(201);
  await capFromAddresses(email);
  expect((await post('/auth/password/forgot', { email }, newAddress())).status).toBe(202);
  const reset = await post('/auth/password/reset', { token: await linkToken(email, 'password_reset'), new_password: 'a brand new passphrase' }, newAddress());
  expect(reset.status).toBe(200);
  expect(reset.body).toEqual({ device_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
  await capFromAddresses(email);
  expect(await status(email, 'a brand new passphrase', newAddress(), reset.body.device_token)).toBe(200);
});

test('with two-factor on, the device token carries through the second step: the cap holds back neither step, and the answer keeps the token', async () => {
  const home = newAddress();
  const email = uniqueEmail('device-2fa');
  expect((await post('/auth/register', { email, password: PASSWORD }, home)).status).toBe(201);
  const first = await login(email, PASSWORD, home);
  const bearer = { 'content-type': 'application/json', authorization: `Bearer ${first.body.access_token}` };
  const setup = await (await fetch(`${server.url}/auth/2fa/totp/setup`, { method: 'POST', headers: bearer, body: JSON.stringify({ password: PASSWORD }) })).json();
  const confirm = await fetch(`${server.url}/auth/2fa/totp/confirm`, { method: 'POST', headers: bearer, body: JSON.stringify({ code: totpCode(setup.secret) }) });
  expect(confirm.status).toBe(200);
  const { recovery_codes: recoveryCodes } = await confirm.json();
  const device: string = first.body.device_token;

  await capFromAddresses(email); // wrong passwords: the right one from an unknown client now waits
  const cafe = newAddress();
  const step1 = await login(email, PASSWORD, cafe, device);
  expect(step1.status).toBe(403);
  // A mistyped code first (the right password stood for that try), then the right one: both counted in
  // the device's lane, neither held back by the account's cap.
  const typo = await post('/auth/login/2fa', { mfa_token: step1.body.mfa_token, code: wrongCode(setup.secret), device_token: device }, cafe);
  expect(typo.status).toBe(401);
  const step2 = await post('/auth/login/2fa', { mfa_token: step1.body.mfa_token, code: totpCode(setup.secret, 1), device_token: device }, cafe);
  expect(step2.status).toBe(200);
  expect(step2.body.device_token).toBe(device);

  // A new client that finishes both steps (once the attack has passed) gets a device token of its own.
  const elsewhere = newAddress();
  const accountKey = `login:account:${createHash('sha256').update(email).digest('hex')}`;
  await withDb((db) => db.query(`delete from rate_limits where key like $1 || '%'`, [accountKey]));
  const fresh1 = await login(email, PASSWORD, elsewhere);
  expect(fresh1.status).toBe(403);
  const fresh2 = await post('/auth/login/2fa', { mfa_token: fresh1.body.mfa_token, recovery_code: recoveryCodes[0] }, elsewhere);
  expect(fresh2.status).toBe(200);
  expect(fresh2.body.device_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(fresh2.body.device_token).not.toBe(device);
});
