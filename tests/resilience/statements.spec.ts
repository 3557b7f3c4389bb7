/**
 * No database round trip a request does not need: the SQL statements each endpoint runs, counted with
 * pg_stat_statements (preloaded on the embedded cluster). It counts statements that complete; one that
 * fails (a unique violation) is not counted.
 *
 * Other test files share the main test database in parallel, so this file gets a database and a
 * `next start` of its own: whatever is counted there came from the request under test.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../scripts/migrate';
import { expect, PASSWORD, test, uniqueEmail } from '../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../support/server';
import { linkToken } from '../support/links';
import { totpCode, wrongCode } from '../support/two-factor';

/**
 * The expected statements per request, in one place, with rate limits on (each limit check is one
 * statement; with RATE_LIMIT=off those disappear). Update these only when an endpoint really needs more.
 */
const EXPECTED_STATEMENTS = {
  // the address limit (upsert) + insert ... returning, with the verification token in the same statement
  // (a duplicate is caught from the unique index, no select first)
  'POST /auth/register': 2,
  // The same, the insert refused by the unique index. pg_stat_statements counts only statements that
  // complete, so 1 here means: nothing but the limit ran before the insert (no select-first).
  'POST /auth/register (email taken)': 1,
  // select the user, its pending sign-up and whether it knows the client + the address limit and the
  // attempt count (one statement) + the session, its refresh token, forgetting the client's attempts
  // and remembering the client (one statement)
  'POST /auth/login': 3,
  // select + limit and count (the compare runs against a dummy hash); the attempt was counted already
  'POST /auth/login (unknown email)': 2,
  'POST /auth/login (wrong password)': 2,
  // limit + one transaction: BEGIN, lock and read the session (its refresh state is in its row), spend
  // the presented token and make its successor live (one update), COMMIT
  'POST /auth/refresh': 5,
  'GET /auth/me': 1, // the user and the token's session, in one select
  'GET /auth/me (bad token)': 0, // proxy.ts answers 401 before any route code runs
  'GET /auth/me (no token)': 0,
  'POST /auth/logout': 2, // the user and session + revoke
  'GET /auth/sessions': 2, // the user and session + the live sessions
  'DELETE /auth/sessions/{id}': 2, // the user and session + revoke (returning whether it was live)
  'DELETE /auth/sessions/{id} (malformed id)': 1, // the user and session; the id is refused before any query
  // the user and session + limit and count (as login) + the current hash + one transaction: BEGIN, the
  // new hash if the checked one is still stored (this takes the user's row), reset links voided and
  // counts forgotten, other sessions revoked, COMMIT. Statements of their own, after the one that holds
  // the user's row: the links are taken after it (no deadlock with a reset), and the revocation sees a
  // racing login's session (one statement has one snapshot: tests/endpoints/login/races.spec.ts); then
  // the owner's new session, COMMIT.
  'POST /auth/password': 9,
  'GET /': 0,
  // the address limit + the email's limits (per address, and the ceiling unless the address is known: one
  // statement) + one statement that finds an active account and stores its new link in the place of the
  // unused one: the same statements whether or not the account exists
  'POST /auth/password/forgot': 3,
  'POST /auth/password/forgot (unknown email)': 3,
  // read the live link (a dead one costs no hashing) + one transaction: BEGIN, take the user's row (every
  // password write takes it before the link rows: no deadlock with a change), spend the link, store the
  // hash, verify, void other links and forget the login counter (one statement), then revoke every
  // session (a statement of its own, as for a password change), COMMIT
  'POST /auth/password/reset': 6,
  'POST /auth/password/reset (used token)': 1,
  'POST /auth/password/reset (malformed token)': 0,
  'POST /auth/email/verify': 1, // spend the link and mark the email verified, in one statement
  // the account's link (none) + a pending sign-up's link (EMAIL_VERIFICATION=required): none either
  'POST /auth/email/verify (used token)': 2,
  // the user and session + the account's limit + void the older links and store the new one
  'POST /auth/email/resend': 3,
  // without a token: the address limit + the email's limit + a pending sign-up's new link + an unverified
  // account's new link: the same statements whatever the email's state (here: verified, nothing sent)
  'POST /auth/email/resend (no token)': 4,
  // the user and session + limit and count (as a password change) + the hash + delete the user and its counters
  'DELETE /auth/me': 4,
  'DELETE /auth/me (wrong password)': 3,
  // Two-factor. The user and session + limit and count + the hash and 2FA state (one read) + the pending secret
  'POST /auth/2fa/totp/setup': 4,
  // the user and session + limit and count (as a password: a code guess) + the pending secret + turn it
  // on, replace the recovery codes (one statement)
  'POST /auth/2fa/totp/confirm': 4,
  // as a login, the session replaced by the second step's challenge (one insert that also forgets the
  // account's dead challenges)
  'POST /auth/login (two-factor)': 3,
  // count a try on the mfa_token (returning its account) + limit and count (as a password) + spend the
  // code's step and the token (one statement) + the session, as login
  'POST /auth/login/2fa': 4,
  'POST /auth/login/2fa (recovery code, first try)': 3, // as above, without the count
  // the first try on a token: counting a try on it (the right password at login counted the attempt);
  // the code is checked in memory: nothing to spend
  'POST /auth/login/2fa (wrong code, first try)': 1,
  // the user and session + limit and count + the hash and state + replace the codes
  'POST /auth/2fa/recovery-codes': 4,
  // the user and session + limit and count + the hash and state + spend the recovery code + turn 2FA off
  'DELETE /auth/2fa/totp': 5,
} as const;

test.describe.configure({ mode: 'serial' });

let server: TestServer;
let admin: pg.Client; // on the `postgres` database, so that its own queries are not counted
let database: string;
let url: string;

/** Statements run in our database since the last reset, excluding the counting itself. */
async function statements(): Promise<{ query: string; calls: number }[]> {
  const { rows } = await admin.query<{ query: string; calls: string }>(
    `select query, calls from pg_stat_statements
     where dbid = (select oid from pg_database where datname = $1) and query not ilike '%pg_stat_statements%'
     order by query`,
    [database],
  );
  return rows.map((row) => ({ query: row.query, calls: Number(row.calls) }));
}

async function reset(): Promise<void> {
  await admin.query(
    'select pg_stat_statements_reset(0, (select oid from pg_database where datname = $1), 0)',
    [database],
  );
}

/** Resets the counters, runs one request, and checks the statements it ran against EXPECTED_STATEMENTS. */
async function expectStatements(name: keyof typeof EXPECTED_STATEMENTS, request: () => Promise<unknown>) {
  await reset();
  await request();
  const ran = await statements();
  const total = ran.reduce((sum, s) => sum + s.calls, 0);
  expect(total, `${name} ran:\n${ran.map((s) => `  ${s.calls} x ${s.query}`).join('\n') || '  nothing'}`).toBe(
    EXPECTED_STATEMENTS[name],
  );
}

test.beforeAll(async () => {
  const testUrl = new URL(process.env.TEST_DATABASE_URL!);
  database = `auth_statements_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const adminUrl = new URL(testUrl);
  adminUrl.pathname = '/postgres';
  admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect();
  await admin.query('create extension if not exists pg_stat_statements');
  await admin.query(`create database ${database}`);
  const own = new URL(testUrl);
  own.pathname = `/${database}`;
  url = own.href;
  await applyMigrations(own);
  server = await startServer(serverEnv({ DATABASE_URL: url, RATE_LIMIT: 'on' }), { waitFor: '/' });
});

test.afterAll(async () => {
  await server?.stop();
  await admin?.query(`drop database if exists ${database} with (force)`);
  await admin?.end();
});

test('each endpoint runs only the statements it needs', async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL: server.url });
  const email = uniqueEmail('statements');
  const credentials = { email, password: PASSWORD };

  await expectStatements('POST /auth/register', async () =>
    expect((await api.post('/auth/register', { data: credentials })).status()).toBe(201),
  );
  await expectStatements('POST /auth/register (email taken)', async () =>
    expect((await api.post('/auth/register', { data: credentials })).status()).toBe(409),
  );

  let token = '';
  let refresh = '';
  await expectStatements('POST /auth/login', async () => {
    const response = await api.post('/auth/login', { data: credentials });
    expect(response.status()).toBe(200);
    ({ access_token: token, refresh_token: refresh } = await response.json());
  });
  await expectStatements('POST /auth/refresh', async () => {
    const response = await api.post('/auth/refresh', { data: { refresh_token: refresh } });
    expect(response.status()).toBe(200);
    token = (await response.json()).access_token;
  });
  await expectStatements('POST /auth/login (unknown email)', async () =>
    expect((await api.post('/auth/login', { data: { ...credentials, email: uniqueEmail('nobody') } })).status()).toBe(401),
  );
  await expectStatements('POST /auth/login (wrong password)', async () =>
    expect((await api.post('/auth/login', { data: { ...credentials, password: 'not the password' } })).status()).toBe(401),
  );

  await expectStatements('GET /auth/me', async () =>
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${token}` } })).status()).toBe(200),
  );
  await expectStatements('GET /auth/me (bad token)', async () =>
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } })).status()).toBe(401),
  );
  await expectStatements('GET /auth/me (no token)', async () => expect((await api.get('/auth/me')).status()).toBe(401));
  await expectStatements('GET /', async () => expect((await api.get('/')).status()).toBe(200));
  let bearer = { authorization: `Bearer ${token}` };
  await expectStatements('POST /auth/password', async () => {
    const changed = await api.post('/auth/password', { headers: bearer, data: { current_password: PASSWORD, new_password: 'another passphrase' } });
    expect(changed.status()).toBe(200);
    // Every session ended, this one too: go on in the new one.
    bearer = { authorization: `Bearer ${(await changed.json()).access_token}` };
  });
  const other = (await (await api.post('/auth/login', { data: { email, password: 'another passphrase' } })).json()).access_token as string;
  const otherId = JSON.parse(Buffer.from(other.split('.')[1]!, 'base64url').toString()).sid as string;
  await expectStatements('GET /auth/sessions', async () => expect((await api.get('/auth/sessions', { headers: bearer })).status()).toBe(200));
  await expectStatements('DELETE /auth/sessions/{id}', async () =>
    expect((await api.delete(`/auth/sessions/${otherId}`, { headers: bearer })).status()).toBe(204),
  );
  await expectStatements('DELETE /auth/sessions/{id} (malformed id)', async () =>
    expect((await api.delete('/auth/sessions/not-an-id', { headers: bearer })).status()).toBe(422),
  );
  await expectStatements('POST /auth/logout', async () => expect((await api.post('/auth/logout', { headers: bearer })).status()).toBe(204));

  // The account flows, signed in again (with the password changed above).
  let password = 'another passphrase';
  const signIn = async () => ({ authorization: `Bearer ${(await (await api.post('/auth/login', { data: { email, password } })).json()).access_token}` });
  let again = await signIn();
  await expectStatements('POST /auth/email/resend', async () =>
    expect((await api.post('/auth/email/resend', { headers: again })).status()).toBe(202),
  );
  const verification = await linkToken(email, 'verify_email', 2);
  await expectStatements('POST /auth/email/verify', async () =>
    expect((await api.post('/auth/email/verify', { data: { token: verification } })).status()).toBe(200),
  );
  await expectStatements('POST /auth/email/verify (used token)', async () =>
    expect((await api.post('/auth/email/verify', { data: { token: verification } })).status()).toBe(400),
  );
  await expectStatements('POST /auth/email/resend (no token)', async () =>
    expect((await api.post('/auth/email/resend', { data: { email } })).status()).toBe(202),
  );
  await expectStatements('POST /auth/password/forgot', async () =>
    expect((await api.post('/auth/password/forgot', { data: { email } })).status()).toBe(202),
  );
  await expectStatements('POST /auth/password/forgot (unknown email)', async () =>
    expect((await api.post('/auth/password/forgot', { data: { email: uniqueEmail('nobody') } })).status()).toBe(202),
  );
  const reset = await linkToken(email, 'password_reset');
  password = 'a reset passphrase';
  await expectStatements('POST /auth/password/reset', async () =>
    expect((await api.post('/auth/password/reset', { data: { token: reset, new_password: password } })).status()).toBe(200),
  );
  await expectStatements('POST /auth/password/reset (used token)', async () =>
    expect((await api.post('/auth/password/reset', { data: { token: reset, new_password: password } })).status()).toBe(400),
  );
  await expectStatements('POST /auth/password/reset (malformed token)', async () =>
    expect((await api.post('/auth/password/reset', { data: { token: 'not a token', new_password: password } })).status()).toBe(400),
  );
  again = await signIn();
  await expectStatements('DELETE /auth/me (wrong password)', async () =>
    expect((await api.delete('/auth/me', { headers: again, data: { password: 'not the password' } })).status()).toBe(403),
  );
  await expectStatements('DELETE /auth/me', async () =>
    expect((await api.delete('/auth/me', { headers: again, data: { password } })).status()).toBe(204),
  );
  await api.dispose();
});

test('two-factor runs only the statements it needs', async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL: server.url });
  const email = uniqueEmail('statements-2fa');
  const credentials = { email, password: PASSWORD };
  expect((await api.post('/auth/register', { data: credentials })).status()).toBe(201);
  const bearer = { authorization: `Bearer ${(await (await api.post('/auth/login', { data: credentials })).json()).access_token}` };

  let secret = '';
  await expectStatements('POST /auth/2fa/totp/setup', async () => {
    const response = await api.post('/auth/2fa/totp/setup', { headers: bearer, data: { password: PASSWORD } });
    expect(response.status()).toBe(200);
    secret = (await response.json()).secret;
  });
  await expectStatements('POST /auth/2fa/totp/confirm', async () =>
    expect((await api.post('/auth/2fa/totp/confirm', { headers: bearer, data: { code: totpCode(secret) } })).status()).toBe(200),
  );
  let mfa = '';
  await expectStatements('POST /auth/login (two-factor)', async () => {
    const response = await api.post('/auth/login', { data: credentials });
    expect(response.status()).toBe(403);
    mfa = (await response.json()).mfa_token;
  });
  await expectStatements('POST /auth/login/2fa (wrong code, first try)', async () =>
    expect((await api.post('/auth/login/2fa', { data: { mfa_token: mfa, code: wrongCode(secret) } })).status()).toBe(401),
  );
  await expectStatements('POST /auth/login/2fa', async () =>
    expect((await api.post('/auth/login/2fa', { data: { mfa_token: mfa, code: totpCode(secret, 1) } })).status()).toBe(200),
  );
  let codes: string[] = [];
  await expectStatements('POST /auth/2fa/recovery-codes', async () => {
    const response = await api.post('/auth/2fa/recovery-codes', { headers: bearer, data: { password: PASSWORD } });
    expect(response.status()).toBe(200);
    codes = (await response.json()).recovery_codes;
  });
  mfa = (await (await api.post('/auth/login', { data: credentials })).json()).mfa_token;
  await expectStatements('POST /auth/login/2fa (recovery code, first try)', async () =>
    expect((await api.post('/auth/login/2fa', { data: { mfa_token: mfa, recovery_code: codes[0] } })).status()).toBe(200),
  );
  await expectStatements('DELETE /auth/2fa/totp', async () =>
    expect((await api.delete('/auth/2fa/totp', { headers: bearer, data: { password: PASSWORD, recovery_code: codes[1] } })).status()).toBe(204),
  );
  await api.dispose();
});

test('the counting sees statements at all (a request that queries is counted)', async () => {
  // Guards the test above against passing because nothing is ever counted.
  await reset();
  const response = await fetch(`${server.url}/health`);
  expect(response.status).toBe(200);
  const ran = await statements();
  expect(ran.map((s) => s.query)).toEqual([expect.stringMatching(/^select \$?1/i)]);
});
