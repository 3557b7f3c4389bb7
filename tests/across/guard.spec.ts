import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../support/fixtures';
import { signToken, unsignedToken } from '../support/tokens';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const INVALID_CHALLENGE = /^Bearer realm="neon-next-auth", error="invalid_token", error_description="[^"]+"$/;

test.describe('GET /auth/me and the guard', () => {
  test('a valid token gets the current user from the database', async ({ api, account }) => {
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ id: account.id, email: account.email, is_active: true, email_verified: false, created_at: expect.any(String) });
  });

  test('no token: 401 with the bare realm challenge', async ({ api }) => {
    const response = await api.get('/auth/me');
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toBe('Bearer realm="neon-next-auth"');
    expect(await response.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
  });

  for (const header of ['Basic dXNlcjpwYXNz', 'Token abc']) {
    test(`another scheme (${header.split(' ')[0]}) gets the bare challenge, as if no token were sent`, async ({ api }) => {
      const response = await api.get('/auth/me', { headers: { authorization: header } });
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toBe('Bearer realm="neon-next-auth"');
    });
  }

  const malformedHeaders = ['Bearer', 'Bearer ', 'Bearer a b', 'bearer\tabc', 'Bearer {"a":1}'];
  for (const header of malformedHeaders) {
    test(`a malformed Authorization header (${JSON.stringify(header)}) gets 401 invalid_token`, async ({ api }) => {
      const response = await api.get('/auth/me', { headers: { authorization: header } });
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(INVALID_CHALLENGE);
      expect((await response.json()).error).toBe('invalid_token');
    });
  }

  const badTokens: [string, (sub: string, token: string) => Promise<string> | string, RegExp][] = [
    ['tampered payload', (_sub, token) => { const [h, , s] = token.split('.'); return `${h}.${Buffer.from(JSON.stringify({ sub: randomUUID() })).toString('base64url')}.${s}`; }, /invalid/],
    ['tampered signature', (_sub, token) => `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`, /invalid/],
    ['alg none', (sub) => unsignedToken({ sub, iss: 'neon-next-auth', aud: 'neon-next-auth-api', exp: Math.floor(Date.now() / 1000) + 600 }), /invalid/],
    ['another secret', (sub) => signToken({ sub }, { secret: 'x'.repeat(40) }), /invalid/],
    ['HS512 with the right secret', (sub) => signToken({ sub }, { alg: 'HS512' }), /invalid/],
    ['wrong audience', (sub) => signToken({ sub, aud: 'someone-else' }), /invalid/],
    ['wrong issuer', (sub) => signToken({ sub, iss: 'evil' }), /invalid/],
    ['plain JWT type instead of at+jwt', (sub) => signToken({ sub }, { typ: 'JWT' }), /invalid/],
    ['expired', (sub) => signToken({ sub, sid: randomUUID() }, { expiresIn: -60 }), /expired/],
    ['not a JWT at all', () => 'abc.def.ghi', /invalid/],
  ];
  for (const [name, make, description] of badTokens) {
    test(`a token with ${name} gets 401 invalid_token`, async ({ api, account }) => {
      const response = await api.get('/auth/me', { headers: bearer(await make(account.id, account.token)) });
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(INVALID_CHALLENGE);
      const body = await response.json();
      expect(body.error).toBe('invalid_token');
      expect(body.message).toMatch(description);
    });
  }

  test('a token the server signed, checked by the test with the same claims, is accepted (the forger works)', async ({ api, account }) => {
    // Guards the table above: the hand-made tokens fail for the one thing changed, not for being hand-made.
    const sid = decodeJwt(account.token).sid;
    const response = await api.get('/auth/me', { headers: bearer(await signToken({ sub: account.id, sid })) });
    expect(response.status()).toBe(200);
    // and a token without a session id is refused, even when correctly signed
    expect((await api.get('/auth/me', { headers: bearer(await signToken({ sub: account.id })) })).status()).toBe(401);
  });

  test('a token whose user was deleted gets 401', async ({ api, account }) => {
    await withDb((db) => db.query('delete from users where id = $1', [account.id]));
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(401);
    expect((await response.json()).error).toBe('invalid_token');
  });

  test('a token whose user was deactivated gets 401', async ({ api, account }) => {
    await withDb((db) => db.query('update users set is_active = false where id = $1', [account.id]));
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(401);
    expect((await response.json()).error).toBe('invalid_token');
  });

  test('a forged identity header is ignored: no token still 401, and a token still means its own user', async ({ api, account }) => {
    const other = randomUUID();
    const forged = { 'x-user-id': other, 'x-auth-user': other, 'x-authenticated-user': other };
    expect((await api.get('/auth/me', { headers: forged })).status()).toBe(401);
    const response = await api.get('/auth/me', { headers: { ...forged, ...bearer(account.token) } });
    expect(response.status()).toBe(200);
    expect((await response.json()).id).toBe(account.id);
  });
});
