import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { linkToken } from '../../support/links';
import { serverEnv, startServer, type TestServer } from '../../support/server';
import { receivedMail, waitForMail } from '../../support/smtp';

// EMAIL_VERIFICATION=required, on a server of its own.
test.describe.configure({ mode: 'serial' });

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(serverEnv({ EMAIL_VERIFICATION: 'required' }));
});
test.afterAll(async () => server?.stop());

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
};

const PENDING = { message: 'Check your email: we sent a message to this address to finish signing up.' };

test('a new email and a taken one get the same 202; the sign-up a link, the owner of the verified account a notice', async () => {
  const email = uniqueEmail('required');
  const first = await post('/auth/register', { email, password: PASSWORD });
  expect(first.status).toBe(202);
  expect(first.body).toEqual(PENDING);
  const link = await waitForMail({ to: email, kind: 'verify_email' });
  expect(link.links).toEqual([`http://localhost:3000/verify-email?token=${link.token}`]);
  // No account until the link is followed; then one, verified, with the sign-up's password.
  expect(await withDb(async (db) => (await db.query('select count(*)::int as n from users where email = $1', [email])).rows[0].n)).toBe(0);
  expect((await post('/auth/email/verify', { token: link.token })).status).toBe(200);

  const second = await post('/auth/register', { email, password: 'someone else entirely' });
  expect(second.status).toBe(202);
  expect(second.body).toEqual(first.body);
  expect([...first.headers.keys()].sort()).toEqual([...second.headers.keys()].sort());
  const notice = await waitForMail({ to: email, kind: 'signup_attempt' });
  expect(notice.text).toContain('Someone tried to create');
  expect(notice.text).toContain('"Forgot password"');
  expect(notice.token).toBeNull();
  expect(await withDb(async (db) => (await db.query('select count(*)::int as n from users where email = $1', [email])).rows[0].n)).toBe(1);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
});

test('login waits for the verification: 403 email_not_verified only with the right password; the link lets the user in', async () => {
  const email = uniqueEmail('required-login');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);

  const early = await post('/auth/login', { email, password: PASSWORD });
  expect(early.status).toBe(403);
  expect(early.body).toEqual({ error: 'email_not_verified', message: expect.stringContaining('Verify your email') });
  // A wrong password, or no account, learns nothing about verification.
  const wrong = await post('/auth/login', { email, password: 'not the password' });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error).toBe('invalid_credentials');
  expect((await post('/auth/login', { email: uniqueEmail('nobody'), password: PASSWORD })).status).toBe(401);

  const verified = await post('/auth/email/verify', { token: await linkToken(email, 'verify_email') });
  expect(verified.status).toBe(200);
  expect(verified.body).toMatchObject({ email, email_verified: true });
  const login = await post('/auth/login', { email, password: PASSWORD });
  expect(login.status).toBe(200);
  const me = await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${login.body.access_token}` } });
  expect(await me.json()).toMatchObject({ email, email_verified: true });
});

test('before its link is followed a sign-up is no account: "forgot password" sends nothing; resend without a token sends a new link', async () => {
  const email = uniqueEmail('required-reset');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);
  await linkToken(email, 'verify_email');
  expect((await post('/auth/password/forgot', { email })).status).toBe(202);
  expect((await post('/auth/email/resend', { email })).status).toBe(202);
  const second = await linkToken(email, 'verify_email', 2);
  expect(await receivedMail({ to: email, kind: 'password_reset' })).toHaveLength(0);
  expect((await post('/auth/email/verify', { token: second })).status).toBe(200);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
});

test('the notice to a verified account carries no link, and the squatter is told nothing an outsider could not learn', async () => {
  const email = uniqueEmail('required-owner');
  expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(202);
  expect((await post('/auth/email/verify', { token: await linkToken(email, 'verify_email') })).status).toBe(200);
  expect((await post('/auth/register', { email, password: 'a squatter password' })).status).toBe(202);
  await waitForMail({ to: email, kind: 'signup_attempt' });
  // still one verification link: the second sign-up issued none
  expect(await receivedMail({ to: email, kind: 'verify_email' })).toHaveLength(1);
  // The squatter's password gets what it would get for a new email (403), and opens nothing.
  expect((await post('/auth/login', { email, password: 'a squatter password' })).status).toBe(403);
  expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(200);
});
