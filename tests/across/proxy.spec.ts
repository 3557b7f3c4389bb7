/**
 * proxy.ts, tested on its own, on every path it must guard: the paths of the endpoints declared with
 * auth (lib/api/endpoints.ts; logout's refresh-cookie alternative: tests/endpoints/logout/cookie.spec.ts), so that a new protected endpoint is covered without a new test.
 *
 * Its 401 and the handler's say the same, so each test asks where the handler would say something else:
 * a method the path does not declare. Past the proxy, the route answers that with 405 (the control,
 * with a good token); a 401 without a token can only be the proxy's. And a token of an ended session
 * passes the proxy (it needs no database) and is refused by the handler, with the handler's words.
 */
import { decodeJwt } from 'jose';
import { allEndpoints, type Method } from '../../lib/api/endpoints';
import { expect, test, withDb } from '../support/fixtures';
import { signToken } from '../support/tokens';

const METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const guarded = new Map<string, Method[]>();
for (const endpoint of allEndpoints.filter((e) => e.auth !== undefined)) {
  guarded.set(endpoint.path, [...(guarded.get(endpoint.path) ?? []), endpoint.method]);
}

test('the protected paths are read from the declarations (the tests below are not generated from nothing)', () => {
  expect([...guarded.keys()]).toEqual(expect.arrayContaining(['/auth/me', '/auth/logout', '/auth/password']));
});

for (const [path, declared] of guarded) {
  const undeclared = METHODS.find((m) => !declared.includes(m))!;
  const allow = declared.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');

  test.describe(`proxy.ts in front of ${path}`, () => {
    test(`${undeclared} without a valid token: 401 from the proxy, where the route answers 405`, async ({ api, account }) => {
      // The control: past the proxy, the route refuses the method.
      const past = await api.fetch(path, { method: undeclared, headers: bearer(account.token) });
      expect(past.status()).toBe(405);
      expect(past.headers()['allow']).toBe(allow);
      expect((await past.json()).error).toBe('method_not_allowed');

      const missing = await api.fetch(path, { method: undeclared });
      expect(missing.status()).toBe(401);
      expect(missing.headers()['www-authenticate']).toBe('Bearer realm="neon-next-auth"');
      expect(await missing.json()).toEqual({ error: 'unauthorized', message: 'Send an access token: Authorization: Bearer <token>.' });

      const claims = { sub: account.id, sid: decodeJwt(account.token).sid };
      const forged = await api.fetch(path, { method: undeclared, headers: bearer(await signToken(claims, { secret: 'not the secret, but 32 bytes long or more' })) });
      expect(forged.status()).toBe(401);
      expect(await forged.json()).toEqual({ error: 'invalid_token', message: 'The access token is invalid.' });
    });

    for (const method of declared) {
      test(`${method} with a token of an ended session: past the proxy, 401 from the handler`, async ({ api, account }) => {
        await withDb((db) => db.query('update sessions set revoked_at = now() where id = $1', [decodeJwt(account.token).sid]));
        const response = await api.fetch(path, { method, headers: bearer(account.token) });
        expect(response.status()).toBe(401);
        expect(await response.json()).toEqual({ error: 'invalid_token', message: 'The session of this token has ended; log in again.' });
      });
    }
  });
}
