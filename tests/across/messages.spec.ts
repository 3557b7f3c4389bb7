/** Messages a new user met and could not act on (issue 18): each answer says what to send instead. */
import { expect, test } from '../support/fixtures';

const JSON_TYPE = { 'content-type': 'application/json' };

test('an email that is not a string is told to be a string, a missing one to be entered', async ({ api }) => {
  const wrongType = await api.post('/auth/register', { headers: JSON_TYPE, data: { email: 123, password: 'correct horse battery staple' } });
  expect(wrongType.status()).toBe(422);
  expect((await wrongType.json()).fields.email).toBe('The email must be a string, like "name@example.com".');
  const missing = await api.post('/auth/register', { headers: JSON_TYPE, data: { password: 'correct horse battery staple' } });
  expect((await missing.json()).fields.email).toBe('Enter an email address.');
});

test('a body that is null or an array is told to be a JSON object, in our words', async ({ api }) => {
  for (const data of ['null', '[]', '"text"']) {
    const response = await api.post('/auth/login', { headers: JSON_TYPE, data: Buffer.from(data) });
    expect(response.status(), data).toBe(422);
    expect(await response.json(), data).toEqual({
      error: 'validation_error',
      message: expect.any(String),
      fields: { body: 'Send a JSON object with the fields this endpoint takes (see /openapi.json).' },
    });
  }
});

test('a request that needs a body and sends none is a 422 naming the fields it needs, not a 415', async ({ api, account }) => {
  const response = await api.delete('/auth/me', { headers: { authorization: `Bearer ${account.token}` } });
  expect(response.status()).toBe(422);
  expect(Object.keys((await response.json()).fields)).toEqual(['password']);
  const login = await api.post('/auth/login');
  expect(login.status()).toBe(422);
  expect(Object.keys((await login.json()).fields).sort()).toEqual(['email', 'password']);
});

test('an OAuth2 form with a grant_type the endpoint does not take is 400 unsupported_grant_type (RFC 6749 5.2)', async ({ api }) => {
  const refresh = await api.post('/auth/refresh', { form: { grant_type: 'password', refresh_token: 'x'.repeat(43) } });
  expect(refresh.status()).toBe(400);
  expect(await refresh.json()).toEqual({ error: 'unsupported_grant_type', message: 'This endpoint takes grant_type=refresh_token only.' });
  // A missing one is still a field to fill in.
  const missing = await api.post('/auth/refresh', { form: { refresh_token: 'x'.repeat(43) } });
  expect(missing.status()).toBe(422);
});
