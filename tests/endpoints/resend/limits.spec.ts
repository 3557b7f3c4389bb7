import { randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail } from '../../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { waitForMails } from '../../support/smtp';

let limited: TestServer; // RATE_LIMIT_RESEND=2/1h; TRUST_PROXY=1 so that no other test's address bucket is touched
let mailOff: TestServer; // SMTP_URL=off
test.beforeAll(async () => {
  [limited, mailOff] = await Promise.all([
    startServer(serverEnv({ RATE_LIMIT: 'on', RATE_LIMIT_RESEND: '2/1h', TRUST_PROXY: '1' })),
    startServer(serverEnv({ SMTP_URL: 'off' })),
  ]);
});
test.afterAll(async () => Promise.all([limited?.stop(), mailOff?.stop()]));

const headers = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-forwarded-for': `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`,
  ...extra,
});

async function signedIn(server: TestServer): Promise<{ email: string; token: string }> {
  const email = uniqueEmail('resend-limit');
  const body = JSON.stringify({ email, password: PASSWORD });
  expect((await fetch(`${server.url}/auth/register`, { method: 'POST', headers: headers(), body })).status).toBe(201);
  const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: headers(), body });
  expect(login.status).toBe(200);
  return { email, token: (await login.json()).access_token };
}

const resend = (server: TestServer, token: string) =>
  fetch(`${server.url}/auth/email/resend`, { method: 'POST', headers: headers({ authorization: `Bearer ${token}` }) });

test('new verification links are limited per account (RATE_LIMIT_RESEND): 429 with Retry-After past it', async () => {
  const account = await signedIn(limited);
  expect((await resend(limited, account.token)).status).toBe(202);
  expect((await resend(limited, account.token)).status).toBe(202);
  const refused = await resend(limited, account.token);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3000);
  // the registration's link and the two new ones
  expect(await waitForMails({ to: account.email, kind: 'verify_email' }, 3)).toHaveLength(3);
  // another account is not affected
  expect((await resend(limited, (await signedIn(limited)).token)).status).toBe(202);
});

test('with SMTP_URL=off: 501 mail_disabled', async () => {
  const account = await signedIn(mailOff);
  const response = await resend(mailOff, account.token);
  expect(response.status).toBe(501);
  expect(await response.json()).toEqual({ error: 'mail_disabled', message: expect.any(String) });
});
