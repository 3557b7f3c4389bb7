import { countUsers, expect, meStatus, PASSWORD, registerAndLogin, test, uniqueEmail } from '../support/fixtures';
import { serverBehindCuttableRelay } from '../support/outage';

// A serverless host freezes an instance between requests, and Neon closes idle connections when its
// compute suspends: the pool's connections can be dead when the next request takes one, and the app
// learns it only then. The relay plays the database's side of that (scripts/local/relay.ts, dropIdle).

const register = (url: string, email: string) =>
  fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });

/** Requests at once, so that the pool opens several connections, all idle afterwards. */
async function fillPool(url: string, token: string): Promise<void> {
  const statuses = await Promise.all(Array.from({ length: 8 }, () => meStatus(url, token)));
  expect(statuses.every((status) => status === 200)).toBe(true);
}

test.describe('connections the database closed while they sat idle in the pool', () => {
  test('reads are retried on a fresh connection: /auth/me and login answer 200, not 503', async () => {
    test.setTimeout(60_000);
    const rig = await serverBehindCuttableRelay({ DB_POOL_MAX: '3' });
    try {
      const account = await registerAndLogin(rig.server.url);
      await fillPool(rig.server.url, account.token);
      // More than one dead connection: retrying on the next pooled one would meet a dead one again.
      expect(rig.dropIdle()).toBeGreaterThan(1);
      expect(await meStatus(rig.server.url, account.token)).toBe(200);

      // Login reads the user, then writes a session: the write must not land on a dead connection either.
      await fillPool(rig.server.url, account.token);
      expect(rig.dropIdle()).toBeGreaterThan(1);
      const login = await fetch(`${rig.server.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: account.email, password: PASSWORD }),
      });
      expect(login.status).toBe(200);
    } finally {
      await rig.stop();
    }
  });

  test('writes are not retried blindly: a sign-up answers 201 once or 503, never a second attempt', async () => {
    test.setTimeout(60_000);
    const rig = await serverBehindCuttableRelay({ DB_POOL_MAX: '3' });
    try {
      const account = await registerAndLogin(rig.server.url);

      // Closed while idle: the INSERT never reaches the database. Either answer is honest.
      await fillPool(rig.server.url, account.token);
      expect(rig.dropIdle()).toBeGreaterThan(0);
      const first = uniqueEmail('idle-write');
      const answer = (await register(rig.server.url, first)).status;
      expect([201, 503]).toContain(answer);
      expect(await countUsers(first)).toBe(answer === 201 ? 1 : 0);

      // The INSERT runs but its answer is lost with the connection: the server cannot know it
      // succeeded, so 503. A second attempt would answer 409 (or add a second row where nothing is unique).
      await fillPool(rig.server.url, account.token);
      expect(rig.dropIdle({ answerLost: true })).toBeGreaterThan(0);
      const second = uniqueEmail('lost-answer');
      expect((await register(rig.server.url, second)).status).toBe(503);
      expect(await countUsers(second)).toBe(1);

      // And the pool has recovered: the next sign-up is served normally.
      expect((await register(rig.server.url, uniqueEmail('after'))).status).toBe(201);
    } finally {
      await rig.stop();
    }
  });
});
