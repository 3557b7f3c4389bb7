import { expect, test, uniqueEmail } from '../../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../../support/server';

// SMTP_URL=off: a server that sends no mail at all (EMAIL_VERIFICATION is then off).
let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(serverEnv({ SMTP_URL: 'off' }));
});
test.afterAll(async () => server?.stop());

test('with SMTP_URL=off a reset link cannot be sent: 501 mail_disabled', async () => {
  const response = await fetch(`${server.url}/auth/password/forgot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: uniqueEmail() }),
  });
  expect(response.status).toBe(501);
  expect(await response.json()).toEqual({ error: 'mail_disabled', message: expect.stringContaining('SMTP_URL=off') });
});
