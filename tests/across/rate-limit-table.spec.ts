import { randomBytes } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail } from '../support/fixtures';
import { ownDatabase, type OwnDatabase } from '../support/own-database';
import { serverEnv, startServer, type TestServer } from '../support/server';

/**
 * The rate_limits table stays bounded under an attacker with millions of addresses (IPv6 gives anyone
 * a /48, 65,536 /64s): past RATE_LIMIT_MAX_ROWS rows, addresses without a row of their own share
 * buckets (lib/auth/limits/window.ts, chooseKeys). A server and a database of its own, so that the
 * table holds only what this file writes.
 */
const MAX_ROWS = 40;
/** Statements that each saw the table below the figure may each add their rows: a handful at most. */
const SLACK = 12;

test.describe.configure({ mode: 'serial' });

let own: OwnDatabase;
let server: TestServer;

test.beforeAll(async () => {
  own = await ownDatabase('table');
  server = await startServer(
    serverEnv({ RATE_LIMIT: 'on', TRUST_PROXY: '1', DATABASE_URL: own.url, RATE_LIMIT_MAX_ROWS: String(MAX_ROWS), RATE_LIMIT_FORGOT: '2/1h' }),
  );
});
test.afterAll(async () => {
  await server?.stop();
  await own?.drop();
});

/** A fresh /64 in a fresh /48 (2001:db8::/32, the documentation range). */
const newIpv6 = () => {
  const [a, b, c] = [randomBytes(2).toString('hex'), randomBytes(2).toString('hex'), randomBytes(2).toString('hex')];
  return `2001:db8:${a}:${b}:${c}::1`;
};

const post = async (path: string, body: unknown, address: string) => {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
};

const rows = async () => (await own.query<{ n: number }>('select count(*)::int as n from rate_limits'))[0]!.n;

test('an attack from 160 addresses leaves at most RATE_LIMIT_MAX_ROWS rows, and a client with its own row keeps it', async () => {
  // A client that was here before the attack: its bucket is its own.
  const owner = '198.51.100.7';
  const ownerEmail = uniqueEmail('table-owner');
  expect(await post('/auth/password/forgot', { email: ownerEmail }, owner)).toBe(202);

  const statuses: number[] = [];
  test.setTimeout(120_000);
  for (let i = 0; i < 150; i += 10) {
    statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => post('/auth/password/forgot', { email: uniqueEmail('flood') }, newIpv6())))));
  }
  for (let i = 0; i < 10; i++) statuses.push(await post('/auth/login', { email: uniqueEmail('flood'), password: PASSWORD }, newIpv6()));
  expect(await rows()).toBeLessThanOrEqual(MAX_ROWS + SLACK);
  // The attack's addresses share buckets now, so most of them are turned away.
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(100);
  // The client that had a row still has its own allowance (2 an hour): one more request passes.
  expect(await post('/auth/password/forgot', { email: ownerEmail }, owner)).toBe(202);
  expect(await post('/auth/password/forgot', { email: ownerEmail }, owner)).toBe(429);
});
