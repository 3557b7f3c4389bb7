import { randomUUID } from 'node:crypto';
import { expect, PASSWORD, test, withDb } from '../support/fixtures';

/**
 * A bounded soak: SOAK_SECONDS (default 60) of mixed register, login, refresh and /auth/me load from
 * 6 concurrent clients. It must end with zero 5xx, and with exactly one row per 201: none lost, none
 * without its answer.
 */
const SECONDS = Number(process.env.SOAK_SECONDS) || 60;
const TAG = `soak-${randomUUID().slice(0, 8)}`;

test('a minute of mixed load: zero 5xx, zero lost or phantom rows', async ({ api }) => {
  test.setTimeout((SECONDS + 60) * 1000);
  const deadline = Date.now() + SECONDS * 1000;
  const created = new Set<string>();
  const statuses = new Map<string, number>();
  const count = (what: string, status: number) => statuses.set(`${what} ${status}`, (statuses.get(`${what} ${status}`) ?? 0) + 1);
  let requests = 0;

  const client = async (id: number) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const email = `${id}-${n}@${TAG}.example`;
      const registered = await api.post('/auth/register', { data: { email, password: PASSWORD } });
      count('register', registered.status());
      if (registered.status() === 201) created.add(email);
      const wrong = await api.post('/auth/login', { data: { email, password: 'not the password' } });
      count('login (wrong)', wrong.status());
      const login = await api.post('/auth/login', { data: { email, password: PASSWORD } });
      count('login', login.status());
      requests += 3;
      if (login.status() !== 200) continue;
      let { access_token: access, refresh_token: refresh } = await login.json();
      for (let round = 0; round < 3; round++) {
        const me = await api.get('/auth/me', { headers: { authorization: `Bearer ${access}` } });
        count('me', me.status());
        const next = await api.post('/auth/refresh', { data: { refresh_token: refresh } });
        count('refresh', next.status());
        requests += 2;
        if (next.status() !== 200) break;
        ({ access_token: access, refresh_token: refresh } = await next.json());
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, (_, id) => client(id)));

  const rows = new Set(
    await withDb(async (db) => (await db.query('select email from users where email like $1', [`%@${TAG}.example`])).rows.map((r) => r.email as string)),
  );
  const lost = [...created].filter((e) => !rows.has(e));
  const phantom = [...rows].filter((e) => !created.has(e));
  const fiveHundreds = [...statuses].filter(([k]) => Number(k.split(' ').pop()) >= 500).reduce((n, [, c]) => n + c, 0);
  test.info().annotations.push({
    type: 'figure',
    description: `soak: ${SECONDS} s, ${requests} requests, ${created.size} accounts, ${fiveHundreds} 5xx, ${lost.length} rows lost, ${phantom.length} phantom rows; ${JSON.stringify(Object.fromEntries(statuses))}`,
  });

  expect(fiveHundreds).toBe(0);
  expect(lost).toEqual([]);
  expect(phantom).toEqual([]);
  expect(created.size).toBeGreaterThan(0);
  // Nothing but the expected answers: 201, 401 for the wrong password, 200 for the rest.
  for (const key of statuses.keys()) expect(['register 201', 'login (wrong) 401', 'login 200', 'me 200', 'refresh 200']).toContain(key);
});
