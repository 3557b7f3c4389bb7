/**
 * Bodies on the paths proxy.ts covers. Before the proxy runs, Next.js buffers such a request's body
 * (for the proxy and for the route) up to `experimental.proxyClientMaxBodySize` (10 MiB unless set)
 * and keeps it until the upload ends; it reads the whole upload before it answers, even when the proxy
 * refuses the request. These tests measure what the server keeps of such uploads, and check that a
 * body Next cut short is never taken for the whole body.
 */
import path from 'node:path';
import { expect, meStatus, test } from '../support/fixtures';
import { openRequest, type RawRequest } from '../support/raw-http';
import { serverEnv, startServer, type TestServer } from '../support/server';

const MiB = 1024 * 1024;
const PROTECTED_POSTS = ['/auth/logout', '/auth/password'];
const JSON_TYPE = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const errorShape = (code: string) => ({ error: code, message: expect.any(String) });

/** Asks a server started with tests/support/memory-probe.mjs what it holds and what it has received. */
async function probeMemory(server: TestServer): Promise<{ held: number; received: number }> {
  const lines = () => server.output().split('\n').filter((line) => line.startsWith('memory-probe '));
  const seen = lines().length;
  server.process.kill('SIGUSR2');
  await expect.poll(() => lines().length, { message: 'the memory probe did not answer' }).toBeGreaterThan(seen);
  return JSON.parse(lines()[seen]!.slice('memory-probe '.length));
}

test.describe('bodies on protected paths', () => {
  test('unauthenticated 5 MiB uploads: 401, and the server keeps next to nothing of them', async () => {
    const server = await startServer(
      serverEnv({ NODE_OPTIONS: `--expose-gc --import ${path.join(process.cwd(), 'tests', 'support', 'memory-probe.mjs')}` }),
    );
    const size = 5 * MiB;
    const uploads = 8;
    let requests: RawRequest[] = [];
    try {
      const before = await probeMemory(server);
      // Everything but the last byte: the requests stay open, so whatever the server keeps of these
      // bodies is still referenced when it is measured.
      requests = Array.from({ length: uploads }, (_, i) =>
        openRequest(server.url, { path: PROTECTED_POSTS[i % 2]!, headers: JSON_TYPE, contentLength: size + 1 }),
      );
      await Promise.all(requests.map((request) => request.send(Buffer.alloc(size, ' '))));
      await expect
        .poll(async () => (await probeMemory(server)).received, { message: 'the server did not read the uploads', timeout: 30_000 })
        .toBeGreaterThanOrEqual(uploads * size);

      // The smallest of a few readings: data still on its way through the server's streams is not held.
      const readings = [await probeMemory(server), await probeMemory(server), await probeMemory(server)];
      const held = Math.min(...readings.map((reading) => reading.held)) - before.held;
      // Without the cap, Next keeps every byte received (40 MiB here) until the upload ends.
      expect(held, `the server holds ${(held / MiB).toFixed(1)} MiB of ${uploads * 5} MiB received`).toBeLessThan(0.05 * uploads * size);

      await Promise.all(requests.map((request) => request.send('}')));
      for (const request of requests) {
        const response = await request.response;
        expect(response.status).toBe(401);
        expect(JSON.parse(response.body)).toEqual(errorShape('unauthorized'));
      }
    } finally {
      for (const request of requests) request.destroy(); // a server stops only once its requests end
      await server.stop();
    }
  });

  for (const route of PROTECTED_POSTS) {
    test(`${route} with a valid token and a 5 MiB body: 413 from the route, nothing done`, async ({ account }) => {
      const response = await fetch(process.env.TEST_BASE_URL + route, {
        method: 'POST',
        headers: { ...JSON_TYPE, ...bearer(account.token) },
        body: JSON.stringify({ scope: 'all', current_password: account.password, new_password: 'another good password', padding: ' '.repeat(5 * MiB) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual(errorShape('payload_too_large'));
      expect(await meStatus(process.env.TEST_BASE_URL!, account.token)).toBe(200);
    });
  }

  test('a body of undeclared length is refused with 411, so one Next cut short is never taken for the whole', async ({ account }) => {
    // A valid body in a first chunk, then more than the proxy's cap: Next passes the route only the
    // chunks before the cap, which here would read as a complete {"scope":"all"}.
    const request = openRequest(process.env.TEST_BASE_URL!, { path: '/auth/logout', headers: { ...JSON_TYPE, ...bearer(account.token) } });
    await request.send('{"scope":"all"}');
    await new Promise((resolve) => setTimeout(resolve, 100)); // so that the server reads it on its own
    await request.send(' '.repeat(256 * 1024));
    await request.endChunks();
    const response = await request.response;
    expect(response.status).toBe(411);
    expect(JSON.parse(response.body)).toEqual(errorShape('length_required'));
    expect(await meStatus(process.env.TEST_BASE_URL!, account.token)).toBe(200);
  });

  test('without a token, a body of undeclared length still gets 401', async () => {
    const request = openRequest(process.env.TEST_BASE_URL!, { path: '/auth/logout', headers: JSON_TYPE });
    await request.send('{"scope":"all"}');
    await request.endChunks();
    const response = await request.response;
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual(errorShape('unauthorized'));
  });
});
