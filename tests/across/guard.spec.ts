import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { expect, test, withDb } from '../support/fixtures';
import { serverKid, signToken, unsignedToken, withPayload } from '../support/tokens';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const INVALID_CHALLENGE = /^Bearer realm="neon-next-auth", error="invalid_token", error_description="[^"]+"$/;

test.describe('GET /auth/me and the guard', () => {
  test('a valid token gets the current user from the database', async ({ api, account }) => {
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ id: account.id, email: account.email, is_active: true, email_verified: false, two_factor_enabled: false, created_at: expect.any(String) });
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
      expect((await response.json()).error).toBe('unauthorized');
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

  test('a token whose user was deleted gets 401 from the handler', async ({ api, account }) => {
    await withDb((db) => db.query('delete from users where id = $1', [account.id]));
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', message: 'The account behind this token is no longer active.' });
  });

  test('a token whose user was deactivated gets 401 from the handler', async ({ api, account }) => {
    await withDb((db) => db.query('update users set is_active = false where id = $1', [account.id]));
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', message: 'The account behind this token is no longer active.' });
  });

  test('a token whose session was revoked gets 401 from the handler', async ({ api, account }) => {
    await withDb((db) => db.query('update sessions set revoked_at = now() where id = $1', [decodeJwt(account.token).sid]));
    const response = await api.get('/auth/me', { headers: bearer(account.token) });
    expect(response.status()).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', message: 'The session of this token has ended; log in again.' });
  });

  test('a forged identity header is ignored: no token still 401, and a token still means its own user', async ({ api, account }) => {
    const other = randomUUID();
    const forged = { 'x-user-id': other, 'x-auth-user': other, 'x-authenticated-user': other };
    const without = await api.get('/auth/me', { headers: forged });
    expect(without.status()).toBe(401);
    expect((await without.json()).error).toBe('unauthorized');
    const response = await api.get('/auth/me', { headers: { ...forged, ...bearer(account.token) } });
    expect(response.status()).toBe(200);
    expect((await response.json()).id).toBe(account.id);
  });
});

/**
 * Every check the token verification makes (lib/auth/crypto/access-tokens.ts), one forged token each. Each forged
 * token is otherwise valid: the right secret and kid, the user and the live session of a real login
 * (its sid), so that nothing but the one defect can refuse it; the control (the same token without the
 * defect) must get 200 in the same test. Removing any one check lets its forged token through.
 */
test.describe('token verification: one defect, one refusal', () => {
  const OTHER_SECRET = 'another secret that is long enough, 32+ bytes';
  const now = () => Math.floor(Date.now() / 1000);
  const INVALID = 'The access token is invalid.';
  const EXPIRED = 'The access token has expired.';

  type Base = { claims: { sub: string; sid: string }; token: string };
  type Forgery = {
    defect: string;
    forged: (base: Base) => Promise<string> | string;
    /** The same token without the defect; by default the test's own signing of the same claims. */
    control?: (base: Base) => Promise<string> | string;
    message?: string;
  };
  const forgeries: Forgery[] = [
    // signature and key
    { defect: 'a signature by another secret under the kid of the server\'s secret', forged: ({ claims }) => signToken(claims, { secret: OTHER_SECRET, kid: serverKid() }) },
    { defect: 'a signature by another secret under that secret\'s own kid', forged: ({ claims }) => signToken(claims, { secret: OTHER_SECRET }) },
    { defect: 'a payload changed after signing (another jti)', forged: ({ token }) => withPayload(token, (c) => ({ ...c, jti: randomUUID() })), control: ({ token }) => token },
    { defect: 'a payload changed after signing (longer exp)', forged: ({ token }) => withPayload(token, (c) => ({ ...c, exp: c.exp! + 3600 })), control: ({ token }) => token },
    { defect: 'a changed signature', forged: ({ token }) => `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`, control: ({ token }) => token },
    // algorithm
    { defect: 'alg HS512 with the server\'s secret and kid', forged: ({ claims }) => signToken(claims, { alg: 'HS512', kid: serverKid() }) },
    { defect: 'alg none (unsigned) with the server\'s kid', forged: ({ claims }) => unsignedToken(fullClaims(claims), { kid: serverKid() }) },
    // kid
    { defect: 'no kid', forged: ({ claims }) => signToken(claims, { kid: null }) },
    { defect: 'an unknown kid', forged: ({ claims }) => signToken(claims, { kid: 'AAAAAAAAAAAAAAAA' }) },
    // typ
    { defect: 'typ JWT instead of at+jwt', forged: ({ claims }) => signToken(claims, { typ: 'JWT' }) },
    { defect: 'no typ', forged: ({ claims }) => signToken(claims, { typ: null }) },
    // iss, aud
    { defect: 'another issuer', forged: ({ claims }) => signToken({ ...claims, iss: 'evil' }) },
    { defect: 'no issuer', forged: ({ claims }) => signToken({ ...claims, iss: undefined }) },
    { defect: 'another audience', forged: ({ claims }) => signToken({ ...claims, aud: 'someone-else' }) },
    { defect: 'no audience', forged: ({ claims }) => signToken({ ...claims, aud: undefined }) },
    // time
    { defect: 'an exp a minute ago', forged: ({ claims }) => signToken(claims, { expiresIn: -60 }), message: EXPIRED },
    { defect: 'no exp', forged: ({ claims }) => signToken({ ...claims, exp: undefined }) },
    { defect: 'an nbf a minute from now', forged: ({ claims }) => signToken({ ...claims, nbf: now() + 60 }) },
    { defect: 'no iat', forged: ({ claims }) => signToken({ ...claims, iat: undefined }) },
    { defect: 'an iat that is not a number', forged: ({ claims }) => signToken({ ...claims, iat: 'yesterday' as unknown as number }) },
    // the other required claims
    { defect: 'no jti', forged: ({ claims }) => signToken({ ...claims, jti: undefined }) },
    { defect: 'no sid', forged: ({ claims }) => signToken({ ...claims, sid: undefined }) },
    { defect: 'a sid that is not a UUID', forged: ({ claims }) => signToken({ ...claims, sid: 'session-1' }) },
    { defect: 'a sub that is not a UUID', forged: ({ claims }) => signToken({ ...claims, sub: 'admin' }) },
  ];

  /** The claims the server puts in a token, for a token built by hand (alg none). */
  function fullClaims(claims: Base['claims']) {
    return { ...claims, iss: 'neon-next-auth', aud: 'neon-next-auth-api', iat: now(), exp: now() + 900, jti: randomUUID() };
  }

  for (const { defect, forged, control, message = INVALID } of forgeries) {
    test(`${defect}: 401 invalid_token, and 200 without the defect`, async ({ api, account }) => {
      const base: Base = { claims: { sub: account.id, sid: decodeJwt(account.token).sid as string }, token: account.token };
      const good = await api.get('/auth/me', { headers: bearer(await (control ?? ((b: Base) => signToken(b.claims)))(base)) });
      expect(good.status(), 'the control').toBe(200);
      expect((await good.json()).id).toBe(account.id);

      const response = await api.get('/auth/me', { headers: bearer(await forged(base)) });
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(INVALID_CHALLENGE);
      expect(await response.json()).toEqual({ error: 'invalid_token', message });
    });
  }
});
