import { createHash, randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../support/fixtures';
import { holdingLocks } from '../support/interleave';
import { ownDatabase, type OwnDatabase } from '../support/own-database';
import { serverEnv, startServer, type TestServer } from '../support/server';

// Servers of their own with limits on and small, so that tests reach them in a few requests.
const LIMITS = {
  RATE_LIMIT: 'on',
  RATE_LIMIT_LOGIN: '6/1m',
  RATE_LIMIT_REGISTER: '3/1h',
  RATE_LIMIT_REFRESH: '3/1m',
  LOGIN_FAILURES_BEFORE_BACKOFF: '3',
  LOGIN_BACKOFF_MAX: '20s',
  LOGIN_ACCOUNT_MAX_FAILURES: '10/1h',
};
const FREE = 3; // LOGIN_FAILURES_BEFORE_BACKOFF
const ACCOUNT_MAX = 10; // LOGIN_ACCOUNT_MAX_FAILURES
const ADDRESS_MAX = 6; // RATE_LIMIT_LOGIN
/** The longest window above (1h): rows untouched for longer are stale. */
const STALE = "interval '1 hour'";

test.describe.configure({ mode: 'serial' });

let behindProxy: TestServer; // TRUST_PROXY=1: the client is the X-Forwarded-For entry
let direct: TestServer; // no TRUST_PROXY: the client is the TCP peer, whatever X-Forwarded-For says
let own: OwnDatabase; // for the tests that count every row of rate_limits
let ownServer: TestServer; // behind the proxy, on that database

test.beforeAll(async () => {
  own = await ownDatabase('limits');
  [behindProxy, direct, ownServer] = await Promise.all([
    startServer(serverEnv({ ...LIMITS, TRUST_PROXY: '1' })),
    startServer(serverEnv(LIMITS)),
    startServer(serverEnv({ ...LIMITS, TRUST_PROXY: '1', DATABASE_URL: own.url })),
  ]);
});
test.afterAll(async () => {
  await Promise.all([behindProxy?.stop(), direct?.stop(), ownServer?.stop()]);
  await own?.drop();
});

/**
 * A made-up client address (in the 198.18.0.0/15 benchmarking range), a new one per call so that tests
 * do not share buckets, behind a spoofed entry: with TRUST_PROXY=1 only the rightmost entry counts.
 */
let addresses = randomInt(0, 1 << 17);
const newAddress = () => {
  const n = addresses++ % (1 << 17);
  return `6.6.6.6, 198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
};
/** The bucket the server counts such an address in. */
const bucket = (address: string) => address.split(', ').at(-1)!;

function post(server: TestServer, path: string, body: unknown, address?: string) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(address ? { 'x-forwarded-for': address } : {}) },
    body: JSON.stringify(body),
  });
}

const login = (email: string, password: string, address: string, server = behindProxy) =>
  post(server, '/auth/login', { email, password }, address);
const loginStatus = async (email: string, password: string, address: string, server = behindProxy) => {
  const response = await login(email, password, address, server);
  await response.arrayBuffer();
  return response.status;
};
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

/** Checks a 429 and returns its Retry-After. */
async function expectLimited(response: Response, maxRetryAfter: number): Promise<number> {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  expect(await response.json()).toEqual({ error: 'rate_limited', message: expect.stringMatching(/Try again in (1 second|\d+ seconds)\./) });
  return retryAfter;
}

/** An account's rows: its count under this key, every other one (per address, shared back-off) under `<key>:`. */
const accountKey = (email: string) => `login:account:${createHash('sha256').update(email).digest('hex')}`;
const ofAccount = (column = 'key') => `(${column} = $1 or ${column} like $1 || ':%')`;

/** Ends every back-off of the account, as if the wait had passed. */
const endBackoffs = (email: string) =>
  withDb((db) => db.query(`update rate_limits set blocked_until = now() - interval '1 second' where ${ofAccount()}`, [accountKey(email)]));

/** The row of one address's failures at one account, and the back-off the addresses share there. */
const pairKey = (email: string, address: string) => `${accountKey(email)}:ip:${bucket(address)}`;
const sharedBackoffKey = (email: string) => `${accountKey(email)}:backoff`;

/**
 * The back-off (in seconds) that the last failure counted under `key` started, read from its row; the
 * back-off is then stretched to a minute from now, so that the next request finds it running however
 * slow the machine is (a 1 s wait can pass before the next request arrives).
 */
async function heldBackoff(key: string): Promise<number> {
  const rows = await withDbQuery(
    `with started as (
       select key, extract(epoch from blocked_until - updated_at)::float8 as seconds from rate_limits
       where key = $1 and blocked_until is not null for update)
     update rate_limits r set blocked_until = now() + interval '1 minute' from started where r.key = started.key
     returning started.seconds`,
    [key],
  );
  expect(rows, `a back-off under ${key}`).toHaveLength(1);
  return rows[0]!.seconds as number;
}

/** As if a while had passed: the account's back-offs over, and the address's window (RATE_LIMIT_LOGIN) too. */
async function later(email: string, address: string) {
  await endBackoffs(email);
  await withDb((db) => db.query(`update rate_limits set window_started_at = now() - interval '1 hour' where key = $1`, [`login:ip:${bucket(address)}`]));
}

const accountRowCount = (emails: string[], query = withDbQuery) =>
  Promise.all(emails.map(async (email) => (await query(`select count(*)::int as n from rate_limits where ${ofAccount()}`, [accountKey(email)]))[0]!.n as number));
const withDbQuery = (text: string, values: unknown[]) => withDb(async (db) => (await db.query(text, values)).rows);

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
  for (let i = 0; i < ADDRESS_MAX; i++) {
    // a different unknown account each time, so that only the address limit can apply
    expect(await loginStatus(uniqueEmail('nobody'), 'wrong password', address)).toBe(401);
  }
  await expectLimited(await login(email, PASSWORD, address), 60);
  expect(await loginStatus(email, PASSWORD, newAddress())).toBe(200);
});

test('refresh is limited per client address', async () => {
  const address = newAddress();
  const email = await register(behindProxy);
  let token = (await (await login(email, PASSWORD, newAddress())).json()).refresh_token;
  for (let i = 0; i < 3; i++) {
    const response = await post(behindProxy, '/auth/refresh', { refresh_token: token }, address);
    expect(response.status).toBe(200);
    token = (await response.json()).refresh_token;
  }
  await expectLimited(await post(behindProxy, '/auth/refresh', { refresh_token: token }, address), 60);
});

test('40 wrong guesses from one address do not keep the owner out: the right password from another address logs in', async () => {
  const email = await register(behindProxy);
  const attacker = newAddress();
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) statuses.push(await loginStatus(email, 'a wrong guess', attacker));
  expect(statuses.slice(0, FREE)).toEqual([401, 401, 401]);
  expect(statuses.slice(ADDRESS_MAX)).toEqual(Array(40 - ADDRESS_MAX).fill(429));
  expect(await loginStatus(email, PASSWORD, newAddress())).toBe(200);
});

test('each address gets its own free guesses at an account, then waits, the right password too; other addresses are not held up', async () => {
  const email = await register(behindProxy);
  const [first, second] = [newAddress(), newAddress()];
  for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'a wrong guess', first)).toBe(401);
  expect(await heldBackoff(pairKey(email, first))).toBe(1);
  await expectLimited(await login(email, PASSWORD, first), 60);
  for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'a wrong guess', second)).toBe(401);
  expect(await heldBackoff(pairKey(email, second))).toBe(1);
  await expectLimited(await login(email, 'a wrong guess', second), 60);
  expect(await loginStatus(email, PASSWORD, newAddress())).toBe(200);
});

test("an address's failures back off, growing, capped; the right password clears them", async () => {
  const email = await register(behindProxy);
  const address = newAddress();
  // 3 failures are free; the third starts a 1 s back-off for this address.
  for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'wrong password', address)).toBe(401);
  expect(await heldBackoff(pairKey(email, address))).toBe(1);
  await expectLimited(await login(email, PASSWORD, address), 60);
  // Once it has passed, the next failure doubles it.
  await later(email, address);
  expect(await loginStatus(email, 'wrong password', address)).toBe(401);
  expect(await heldBackoff(pairKey(email, address))).toBe(2);
  await expectLimited(await login(email, 'wrong password', address), 60);
  // However many failures, the wait never exceeds LOGIN_BACKOFF_MAX (20 s): no lock-out for good.
  await withDb((db) => db.query(`update rate_limits set hits = 60 where key like $1 || ':%'`, [accountKey(email)]));
  await later(email, address);
  expect(await loginStatus(email, 'wrong password', address)).toBe(401);
  await expectLimited(await login(email, PASSWORD, address), 20);
  // After the wait the right password works, and this address's failures are forgotten: it has its
  // free attempts again (then waits for its own back-off and the account's shared one, still running).
  await later(email, address);
  expect(await loginStatus(email, PASSWORD, address)).toBe(200);
  for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'wrong password', address)).toBe(401);
  await expectLimited(await login(email, PASSWORD, address), 20);
});

test('guesses spread over many addresses are capped per account: of 60 addresses guessing at once, exactly 10 are checked', async () => {
  const email = await register(behindProxy);
  const statuses = await Promise.all(Array.from({ length: 60 }, () => loginStatus(email, 'a wrong guess', newAddress())));
  expect(count(statuses, 401)).toBe(ACCOUNT_MAX);
  expect(count(statuses, 429)).toBe(60 - ACCOUNT_MAX);
  // Until the window (1 h) ends, no password is checked for that account, the right one included, and
  // an address trying it now leaves no row behind.
  const retryAfter = await expectLimited(await login(email, PASSWORD, newAddress()), 3600);
  expect(retryAfter).toBeGreaterThan(20); // the window, not a back-off
  const before = await accountRowCount([email]);
  await expectLimited(await login(email, 'a wrong guess', newAddress()), 3600);
  expect(await accountRowCount([email])).toEqual(before);
});

test("the account's cap holds for guesses that all started before it was reached (a forced race)", async () => {
  const email = await register(behindProxy);
  for (let a = 0; a < ACCOUNT_MAX - 2; a++) expect(await loginStatus(email, 'a wrong guess', newAddress())).toBe(401);
  // 6 guesses from 6 addresses line up on the account's row while the test holds it: each has read the
  // account at 8 of 10 before any of them is counted. Only the row, once held, can tell them apart.
  const statuses = await holdingLocks(async (holder) => {
    await holder.query('select 1 from rate_limits where key = $1 for update', [accountKey(email)]);
    const guesses = Array.from({ length: 6 }, () => loginStatus(email, 'a wrong guess', newAddress()));
    await holder.waitForBlocked(6, guesses);
    await holder.commit();
    return Promise.all(guesses);
  });
  expect(count(statuses, 401)).toBe(2);
  expect(count(statuses, 429)).toBe(4);
});

test('one address guessing for hours, each back-off waited out, never brings the account to its cap', async () => {
  const email = await register(behindProxy);
  const address = newAddress();
  for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'a wrong guess', address)).toBe(401);
  for (let i = 0; i < ACCOUNT_MAX; i++) {
    await later(email, address);
    expect(await loginStatus(email, 'a wrong guess', address)).toBe(401);
  }
  // 13 guesses checked, more than the account's cap of 10: only the first 3 counted towards it.
  expect(await loginStatus(email, PASSWORD, newAddress())).toBe(200);
});

test('a burst of parallel guesses from one address gets exactly its free guesses checked, and the owner still logs in', async () => {
  const email = await register(behindProxy);
  const attacker = newAddress();
  const statuses = await Promise.all(Array.from({ length: 20 }, () => loginStatus(email, 'a wrong guess', attacker)));
  expect(count(statuses, 401)).toBe(FREE);
  expect(count(statuses, 429)).toBe(20 - FREE);
  expect(await loginStatus(email, PASSWORD, newAddress())).toBe(200);
});

test('addresses past their free guesses share one back-off per account', async () => {
  const email = await register(behindProxy);
  const [first, second] = [newAddress(), newAddress()];
  for (const address of [first, second]) {
    for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'a wrong guess', address)).toBe(401);
  }
  await endBackoffs(email);
  // Both addresses' own back-offs have passed: the first one's guess is checked, and starts the
  // account's back-off, which the second one then waits for.
  expect(await loginStatus(email, 'a wrong guess', first)).toBe(401);
  expect(await heldBackoff(sharedBackoffKey(email))).toBe(1);
  await expectLimited(await login(email, 'a wrong guess', second), 60);
  // An address within its free guesses does not wait for it.
  expect(await loginStatus(email, PASSWORD, newAddress())).toBe(200);
});

test('an address over its limit writes no rows for the accounts it tries', async () => {
  const address = newAddress();
  const emails = Array.from({ length: 40 }, () => uniqueEmail('spray'));
  const statuses: number[] = [];
  for (const email of emails) statuses.push(await loginStatus(email, 'a wrong guess', address));
  expect(statuses).toEqual([...Array(ADDRESS_MAX).fill(401), ...Array(40 - ADDRESS_MAX).fill(429)]);
  const rows = await accountRowCount(emails);
  expect(rows.slice(0, ADDRESS_MAX).every((n) => n > 0)).toBe(true);
  expect(rows.slice(ADDRESS_MAX)).toEqual(Array(40 - ADDRESS_MAX).fill(0));
});

test('password changes count like logins (a stolen access token cannot guess the password), and a change forgets every counter of the account', async () => {
  const email = await register(behindProxy);
  const { access_token } = await (await login(email, PASSWORD, newAddress())).json();
  const change = (current_password: string, address: string) =>
    fetch(`${behindProxy.url}/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}`, 'x-forwarded-for': address },
      body: JSON.stringify({ current_password, new_password: 'a brand new passphrase' }),
    });
  const thief = newAddress();
  for (let i = 0; i < FREE; i++) expect((await change('a wrong guess', thief)).status).toBe(403);
  await expectLimited(await change(PASSWORD, thief), 1);
  // Guesses at the login from other addresses, some backing off.
  for (let a = 0; a < 2; a++) {
    const address = newAddress();
    for (let i = 0; i < FREE; i++) expect(await loginStatus(email, 'a wrong guess', address)).toBe(401);
  }
  expect((await accountRowCount([email]))[0]).toBeGreaterThan(0);
  // The owner changes the password from elsewhere: the password guessed at is gone, and so are the counters.
  // (A change answers 200 with a new session's pair: it ends every session, this one too.)
  expect((await change(PASSWORD, newAddress())).status).toBe(200);
  expect(await accountRowCount([email])).toEqual([0]);
});

test('an unknown email backs off exactly like a real one (limits reveal no accounts)', async () => {
  const real = await register(behindProxy);
  const ghost = uniqueEmail('ghost');
  const sequence = async (email: string) => {
    const address = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < FREE + 1; i++) statuses.push(await loginStatus(email, 'x', address));
    for (let a = 0; a < ACCOUNT_MAX; a++) statuses.push(await loginStatus(email, 'x', newAddress()));
    return statuses;
  };
  const [ghostStatuses, realStatuses] = [await sequence(ghost), await sequence(real)];
  expect(ghostStatuses).toEqual([401, 401, 401, 429, ...Array(ACCOUNT_MAX - FREE).fill(401), ...Array(FREE).fill(429)]);
  expect(realStatuses).toEqual(ghostStatuses);
});

test('rows untouched for longer than the longest window are deleted by the requests that count, ten at a time, without db:prune', async () => {
  const email = (n: number) => `prune-${n}@example.com`;
  // 26 stale rows: 12 guesses at 12 accounts from 2 addresses (2 address rows, and an account row and
  // a per-address row per guess), aged past every window.
  for (let n = 0; n < 12; n++) expect(await loginStatus(email(n), 'x', n < 6 ? '198.19.1.1' : '198.19.1.2', ownServer)).toBe(401);
  await own.query(`update rate_limits set updated_at = now() - ${STALE} - interval '1 second',
    window_started_at = window_started_at - ${STALE} - interval '1 second', blocked_until = null`);
  const stale = async () => (await own.query<{ n: number }>(`select count(*)::int as n from rate_limits where updated_at < now() - ${STALE}`))[0]!.n;
  const before = await stale();
  expect(before).toBeGreaterThan(20);
  // Each guess deletes ten; the rows it writes, younger than the window, are kept.
  expect(await loginStatus(email(100), 'x', '198.19.1.3', ownServer)).toBe(401);
  expect(await stale()).toBe(before - 10);
  expect(await loginStatus(email(101), 'x', '198.19.1.3', ownServer)).toBe(401);
  expect(await loginStatus(email(102), 'x', '198.19.1.3', ownServer)).toBe(401);
  expect(await stale()).toBe(Math.max(0, before - 30));
  const keys = (await own.query<{ key: string }>('select key from rate_limits')).map((row) => row.key);
  expect(keys).toHaveLength(1 + 3 * 2); // the address, and the 3 accounts it tried
  expect(keys).toContain('login:ip:198.19.1.3');
});

test('under a long attack from many addresses at many accounts the table stays bounded', async () => {
  // Each round: 4 new addresses send 10 guesses each, at 40 different accounts; 6 per address are
  // checked (RATE_LIMIT_LOGIN), each writing an account row and a per-address row. Then an hour passes.
  const [addresses, perAddress] = [4, 10];
  const bound = addresses + addresses * ADDRESS_MAX * 2;
  const age = () =>
    own.query(`update rate_limits set updated_at = updated_at - interval '2 hours',
      window_started_at = window_started_at - interval '2 hours', blocked_until = blocked_until - interval '2 hours'`);
  await age(); // whatever an earlier test left is stale now
  for (let round = 0; round < 5; round++) {
    for (let a = 0; a < addresses; a++) {
      const address = `198.19.${10 + round}.${a + 1}`;
      for (let i = 0; i < perAddress; i++) await loginStatus(uniqueEmail('siege'), 'x', address, ownServer);
    }
    const rows = (await own.query<{ n: number }>('select count(*)::int as n from rate_limits'))[0]!.n;
    expect(rows, `rows after round ${round + 1}`).toBeLessThanOrEqual(bound);
    await age();
  }
});

test('db:prune removes rate-limit rows untouched for a day', async () => {
  const { runScript } = await import('../support/commands');
  await withDb((db) => db.query(`insert into rate_limits (key, hits, updated_at) values ('test:stale', 1, now() - interval '2 days'), ('test:fresh', 1, now())`));
  expect((await runScript('prune')).code).toBe(0);
  const keys = await withDb(async (db) => (await db.query(`select key from rate_limits where key like 'test:%' order by key`)).rows.map((r) => r.key));
  expect(keys).toEqual(['test:fresh']);
});
