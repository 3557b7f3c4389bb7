import { randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail } from '../../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { receivedMail, waitForMails } from '../../support/smtp';

// A server of its own with small limits; TRUST_PROXY=1 so that each test picks its client address.
test.describe.configure({ mode: 'serial' });

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(serverEnv({ RATE_LIMIT: 'on', RATE_LIMIT_FORGOT_EMAIL: '2/1h', RATE_LIMIT_FORGOT_EMAIL_TOTAL: '6/1h', RATE_LIMIT_FORGOT: '4/1h', TRUST_PROXY: '1' }));
});
test.afterAll(async () => server?.stop());

const newAddress = () => `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;

const post = (path: string, body: unknown, address = newAddress()) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify(body) });

test('per email and address: past RATE_LIMIT_FORGOT_EMAIL the answer is the same 202, and nothing more is sent', async () => {
  const email = uniqueEmail('forgot-limit');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
  const address = newAddress();
  const answers = [];
  for (let i = 0; i < 3; i++) {
    const response = await post('/auth/password/forgot', { email }, address);
    answers.push({ status: response.status, body: await response.json() });
  }
  expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  expect(answers[0]!.status).toBe(202);
  await waitForMails({ to: email, kind: 'password_reset' }, 2);
  // Mail leaves after the answers: give a third one time to arrive, if one were sent.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await receivedMail({ to: email, kind: 'password_reset' })).toHaveLength(2);
});

test('an attacker spending the email\'s allowance from many addresses does not keep the owner from a link', async () => {
  const email = uniqueEmail('forgot-spent');
  const home = newAddress();
  expect((await post('/auth/register', { email, password: PASSWORD }, home)).status).toBe(201);
  expect((await post('/auth/login', { email, password: PASSWORD }, home)).status).toBe(200);
  // 12 addresses, 2 requests each: the email's ceiling for unknown addresses (RATE_LIMIT_FORGOT_EMAIL_TOTAL, 6/1h here) is spent.
  for (let a = 0; a < 12; a++) {
    const attacker = newAddress();
    for (let i = 0; i < 2; i++) expect((await post('/auth/password/forgot', { email }, attacker)).status).toBe(202);
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sent = (await receivedMail({ to: email, kind: 'password_reset' })).length;
  expect(sent).toBeLessThanOrEqual(6);
  // The owner, from the address the account logged in from, still gets a link.
  expect((await post('/auth/password/forgot', { email }, home)).status).toBe(202);
  await waitForMails({ to: email, kind: 'password_reset' }, sent + 1);
});

test('per email, unknown emails are counted alike: the limit says nothing about who has an account', async () => {
  const email = uniqueEmail('forgot-nobody');
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await post('/auth/password/forgot', { email })).status);
  expect(statuses).toEqual([202, 202, 202, 202]);
});

test('per client address: past RATE_LIMIT_FORGOT, 429 with Retry-After', async () => {
  const address = newAddress();
  for (let i = 0; i < 4; i++) expect((await post('/auth/password/forgot', { email: uniqueEmail('any') }, address)).status).toBe(202);
  const limited = await post('/auth/password/forgot', { email: uniqueEmail('any') }, address);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3000);
  expect(await limited.json()).toEqual({ error: 'rate_limited', message: expect.stringMatching(/Try again in (1 second|\d+ seconds)\./) });
  expect((await post('/auth/password/forgot', { email: uniqueEmail('any') })).status).toBe(202);
});
