import { randomInt } from 'node:crypto';
import { expect, PASSWORD, test, uniqueEmail } from '../../support/fixtures';
import { linkToken } from '../../support/links';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { receivedMail, waitForMails } from '../../support/smtp';

/**
 * EMAIL_VERIFICATION=required as an attacker sees it: no sequence of register / login / resend /
 * forgot answers tells whether an email has an account, and no one can prepare an account that later
 * becomes someone else's, verified, with a password they chose (docs/security.md, "Pending sign-ups").
 */
test.describe.configure({ mode: 'serial' });

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(serverEnv({ EMAIL_VERIFICATION: 'required', RATE_LIMIT: 'on', TRUST_PROXY: '1' }));
});
test.afterAll(async () => server?.stop());

const newAddress = () => `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': newAddress(), ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A verified account of its own (sign-up, then its link). */
async function verifiedAccount(): Promise<string> {
  const email = uniqueEmail('pending-owner');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);
  expect((await post('/auth/email/verify', { token: await linkToken(email, 'verify_email') })).status).toBe(200);
  return email;
}

/** What an outsider sees: sign up with a password, then log in with it, then ask for a new link. */
async function probe(email: string) {
  const password = `probe ${randomInt(0, 1e9)}`;
  return [
    await post('/auth/register', { email, password }),
    await post('/auth/login', { email, password }),
    await post('/auth/email/resend', { email }),
    await post('/auth/password/forgot', { email }),
  ];
}

test('register then log in with that password answers the same for a taken email and a new one', async () => {
  const taken = await verifiedAccount();
  const [takenAnswers, newAnswers] = [await probe(taken), await probe(uniqueEmail('pending-new'))];
  expect(takenAnswers).toEqual(newAnswers);
  expect(newAnswers.map((a) => a.status)).toEqual([202, 403, 202, 202]);
  // The 403 says how to get a new link.
  expect(newAnswers[1]!.body).toEqual({ error: 'email_not_verified', message: expect.stringContaining('/auth/email/resend') });
});

test("a squatter who signs up first gets nothing: the owner's own sign-up sends the owner a link that confirms the owner's password", async () => {
  const email = uniqueEmail('pending-victim');
  expect((await post('/auth/register', { email, password: 'the squatter password' })).status).toBe(202);
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);
  // Two links arrived; the newest is the owner's own, and it voided the squatter's.
  const [squatters, owners] = await waitForMails({ to: email, kind: 'verify_email' }, 2);
  expect((await post('/auth/email/verify', { token: squatters!.token })).status).toBe(400);
  expect((await post('/auth/email/verify', { token: owners!.token })).status).toBe(200);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
  expect((await post('/auth/login', { email, password: 'the squatter password' })).status).toBe(401);
});

test('a sign-up for a verified account changes nothing about it, and its link-less notice goes out at most 3 times an hour', async () => {
  const email = await verifiedAccount();
  for (let i = 0; i < 5; i++) expect((await post('/auth/register', { email, password: `someone else ${i}` })).status).toBe(202);
  await waitForMails({ to: email, kind: 'signup_attempt' }, 3);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await receivedMail({ to: email, kind: 'signup_attempt' })).toHaveLength(3);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
  expect((await post('/auth/login', { email, password: 'someone else 4' })).status).toBe(403); // as for a new email
});

test('a user who lost the link asks for a new one without a token; the answer is the same whatever the state', async () => {
  const email = uniqueEmail('pending-lost');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);
  await linkToken(email, 'verify_email');
  const answers = [
    await post('/auth/email/resend', { email }),
    await post('/auth/email/resend', { email: uniqueEmail('pending-nobody') }),
    await post('/auth/email/resend', { email: await verifiedAccount() }),
  ];
  expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  expect(answers[0]!.status).toBe(202);
  const second = await linkToken(email, 'verify_email', 2);
  expect((await post('/auth/email/verify', { token: second })).status).toBe(200);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
});

test("an account left unverified from before `required` keeps its password: a stranger's sign-up does not take it over through the owner's request for a new link", async ({ api }) => {
  const email = uniqueEmail('pending-unverified');
  // The owner's account, made while verification was optional (the suite's own server), never confirmed.
  expect((await api.post('/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
  await linkToken(email, 'verify_email', 1);
  // A stranger signs up with the owner's email and a password of their own: a pending sign-up, whose
  // link goes to the owner's inbox.
  expect((await post('/auth/register', { email, password: 'the stranger chose this one' })).status).toBe(202);
  await linkToken(email, 'verify_email', 2);
  // The owner, held back by the unconfirmed email, asks for a new link and follows it: it confirms
  // the owner's account as it is, not the stranger's sign-up.
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(403);
  expect((await post('/auth/email/resend', { email })).status).toBe(202);
  expect((await post('/auth/email/verify', { token: await linkToken(email, 'verify_email', 3) })).status).toBe(200);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
  // The stranger's password opens nothing (it answers as any pending sign-up's does), and the
  // stranger's link, followed now, changes nothing.
  expect((await post('/auth/login', { email, password: 'the stranger chose this one' })).status).toBe(403);
  expect((await post('/auth/email/verify', { token: await linkToken(email, 'verify_email', 2) })).status).toBe(400);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
});

test('resend without a token is limited per email: past RATE_LIMIT_RESEND, the same 202 and nothing sent', async () => {
  const email = uniqueEmail('pending-resend');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);
  for (let i = 0; i < 5; i++) expect((await post('/auth/email/resend', { email })).status).toBe(202);
  await waitForMails({ to: email, kind: 'verify_email' }, 4);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await receivedMail({ to: email, kind: 'verify_email' })).toHaveLength(4); // the sign-up's, then 3
});
