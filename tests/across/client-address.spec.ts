import { randomInt } from 'node:crypto';
import http from 'node:http';
import { expect, PASSWORD, test, uniqueEmail } from '../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../support/server';

// Servers of their own, with a registration limit small enough to reach in a few requests.
const LIMITS = { RATE_LIMIT: 'on', RATE_LIMIT_REGISTER: '2/1h' };

test.describe.configure({ mode: 'serial' });

let direct: TestServer; // no TRUST_PROXY: the client is the TCP peer (127.0.0.1 here)
let behindProxy: TestServer; // TRUST_PROXY=1: the client is the rightmost X-Forwarded-For entry

test.beforeAll(async () => {
  [direct, behindProxy] = await Promise.all([startServer(serverEnv(LIMITS)), startServer(serverEnv({ ...LIMITS, TRUST_PROXY: '1' }))]);
});
test.afterAll(async () => {
  await Promise.all([direct?.stop(), behindProxy?.stop()]);
});

/**
 * POST /auth/register from a given loopback source address (Linux answers for all of 127.0.0.0/8), so
 * that this file's peer bucket is its own: limits live in the shared database, and 127.0.0.1 is
 * every other test's peer address.
 */
function register(server: TestServer, headers: Record<string, string>, localAddress?: string): Promise<number> {
  const body = JSON.stringify({ email: uniqueEmail('address'), password: PASSWORD });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}/auth/register`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } },
      (response) => response.resume().on('end', () => resolve(response.statusCode ?? 0)),
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function registerEach(server: TestServer, headers: Record<string, string>[], localAddress?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const h of headers) statuses.push(await register(server, h, localAddress));
  return statuses;
}

test('a client that sends the old stamp header (x-neon-next-auth-peer) gets no bucket of its own', async () => {
  const peer = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const statuses = await registerEach(
    direct,
    ['198.18.0.1', '198.18.0.2', '198.18.0.3'].map((address) => ({ 'x-neon-next-auth-peer': address })),
    peer,
  );
  expect(statuses).toEqual([201, 201, 429]);
  // The bucket is the peer's: another peer is not affected.
  expect(await register(direct, {}, `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`)).toBe(201);
});

test('behind a proxy, X-Forwarded-For entries that differ only by port share one bucket', async () => {
  const ipv4 = `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  expect(await registerEach(behindProxy, [`${ipv4}:40001`, `${ipv4}:40002`, ipv4].map((a) => ({ 'x-forwarded-for': a })))).toEqual([201, 201, 429]);

  const ipv6 = `2001:db8:${randomInt(1, 0xffff).toString(16)}:1`;
  const entries = [`[${ipv6}::1]:40001`, `[${ipv6}::2]:40002`, `${ipv6}::3`];
  expect(await registerEach(behindProxy, entries.map((a) => ({ 'x-forwarded-for': `6.6.6.6, ${a}` })))).toEqual([201, 201, 429]);
});

test('X-Forwarded-For arriving without TRUST_PROXY is reported once, in one line', async () => {
  const warning = 'X-Forwarded-For arrived but TRUST_PROXY is unset';
  const warnings = () => direct.output().split(warning).length - 1;
  // Next.js adds X-Forwarded-For itself when a request has none: that must not count.
  await (await fetch(`${direct.url}/health`)).arrayBuffer();
  for (let i = 0; i < 3; i++) await (await fetch(`${direct.url}/health`, { headers: { 'x-forwarded-for': `198.18.1.${i + 1}` } })).arrayBuffer();
  await expect.poll(warnings).toBe(1);
  const line = direct.output().split('\n').find((l) => l.includes(warning));
  expect(line).toMatch(/set TRUST_PROXY/i);

  // With TRUST_PROXY set, X-Forwarded-For is expected: no warning.
  expect(behindProxy.output()).not.toContain(warning);
});
