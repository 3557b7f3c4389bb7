import bcrypt from 'bcryptjs';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';

const INVALID = { error: 'invalid_credentials', message: 'Incorrect email or password' };

test.describe('POST /auth/login', () => {
  test('valid credentials get a bearer access token', async ({ api, account }) => {
    const response = await api.post('/auth/login', { data: { email: account.email, password: account.password } });
    expect(response.status()).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ access_token: expect.any(String), token_type: 'bearer', expires_in: 900 });
    expect(decodeProtectedHeader(body.access_token)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: expect.stringMatching(/^[\w-]{16}$/) });
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({ sub: account.id, iss: 'neon-next-auth', aud: 'neon-next-auth-api', jti: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(response.headers()['cache-control']).toBe('no-store');
  });

  test('the email is matched whatever its case and spacing', async ({ api, account }) => {
    const response = await api.post('/auth/login', { data: { email: ` ${account.email.toUpperCase()}`, password: account.password } });
    expect(response.status()).toBe(200);
  });

  test('the OAuth2 password form (username, password) works too', async ({ api, account }) => {
    const response = await api.post('/auth/login', {
      form: { grant_type: 'password', username: account.email, password: account.password, scope: '' },
    });
    expect(response.status()).toBe(200);
    expect((await response.json()).token_type).toBe('bearer');
  });

  test('a wrong grant_type in the form is refused', async ({ api, account }) => {
    const response = await api.post('/auth/login', { form: { grant_type: 'client_credentials', username: account.email, password: account.password } });
    // RFC 6749 section 5.2: an unknown grant is 400 unsupported_grant_type.
    expect(response.status()).toBe(400);
    expect(await response.json()).toEqual({ error: 'unsupported_grant_type', message: 'This endpoint takes grant_type=password only.' });
  });

  test('a wrong password and an unknown email get the same 401 with a Bearer challenge', async ({ api, account }) => {
    const wrong = await api.post('/auth/login', { data: { email: account.email, password: 'not the password' } });
    const unknown = await api.post('/auth/login', { data: { email: uniqueEmail('ghost'), password: account.password } });
    for (const response of [wrong, unknown]) {
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toBe('Bearer');
      expect(await response.json()).toEqual(INVALID);
    }
  });

  test('a password longer than 72 bytes never matches, even when its first 72 bytes do', async ({ api }) => {
    const email = uniqueEmail('long');
    const password = 'p'.repeat(72);
    expect((await api.post('/auth/register', { data: { email, password } })).status()).toBe(201);
    const longer = await api.post('/auth/login', { data: { email, password: `${password}extra` } });
    expect(longer.status()).toBe(401);
    expect(await longer.json()).toEqual(INVALID);
    expect((await api.post('/auth/login', { data: { email, password } })).status()).toBe(200);
  });

  test('an inactive user gets 403 only with the right password', async ({ api, account }) => {
    await withDb((db) => db.query('update users set is_active = false where id = $1', [account.id]));
    const right = await api.post('/auth/login', { data: { email: account.email, password: account.password } });
    expect(right.status()).toBe(403);
    expect(await right.json()).toEqual({ error: 'inactive_user', message: expect.any(String) });
    const wrong = await api.post('/auth/login', { data: { email: account.email, password: 'wrong password' } });
    expect(wrong.status()).toBe(401);
    expect(await wrong.json()).toEqual(INVALID);
  });

  test('a hash made at another cost is upgraded to BCRYPT_COST on login', async ({ api }) => {
    const email = uniqueEmail('rehash');
    const oldHash = await bcrypt.hash(PASSWORD, 11);
    await withDb((db) => db.query('insert into users (email, hashed_password) values ($1, $2)', [email, oldHash]));
    expect((await api.post('/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(200);
    const stored = await withDb(async (db) => (await db.query('select hashed_password from users where email = $1', [email])).rows[0].hashed_password);
    expect(stored).toMatch(/^\$2b\$10\$/);
    expect(await bcrypt.compare(PASSWORD, stored)).toBe(true);
    expect((await api.post('/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(200);
  });

  test('missing fields get 422', async ({ api }) => {
    const response = await api.post('/auth/login', { data: { email: uniqueEmail() } });
    expect(response.status()).toBe(422);
    expect((await response.json()).fields).toEqual({ password: expect.any(String) });
  });
});
