import { spawn, type ChildProcess } from 'node:child_process';
import { expect, PASSWORD, test, withDb } from '../support/fixtures';
import { runNpmScript } from '../support/cli';
import { ACCOUNT_INACTIVE, answer, SESSION_ENDED } from '../support/sessions';
import { enableTwoFactor, mfaToken } from '../support/two-factor';

// The admin CLI as an operator runs it, against the test database.
const users = (...args: string[]) => runNpmScript('users', args, { DATABASE_URL: process.env.TEST_DATABASE_URL });

test.describe('npm run users', () => {
  test('list shows every account with email, id, active and created_at', async ({ account }) => {
    const { code, stdout } = await users('list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/email\s+\|\s+id\s+\|\s+active\s+\|\s+created_at/);
    const line = stdout.split('\n').find((l) => l.includes(account.email));
    expect(line).toMatch(new RegExp(`${account.email}\\s+\\| ${account.id} \\| yes\\s+\\| \\d{4}-\\d\\d-\\d\\dT`));
  });

  test('deactivate stops logins (403) and ends existing sessions (401); activate allows logins again', async ({ api, account }) => {
    test.setTimeout(180_000); // four CLI runs (npm, tsx, a pool each): 10-15 s apiece on a busy machine
    const deactivated = await users('deactivate', account.email.toUpperCase());
    expect(deactivated).toMatchObject({ code: 0, stdout: `${account.email} is now deactivated.\n` });

    const login = await api.post('/auth/login', { data: { email: account.email, password: PASSWORD } });
    expect(login.status()).toBe(403);
    expect((await login.json()).error).toBe('inactive_user');
    const me = () => api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } });
    expect(await answer(me())).toEqual({ status: 401, body: ACCOUNT_INACTIVE });

    expect((await users('deactivate', account.email)).stdout).toContain('was already deactivated; nothing changed.');
    const listed = (await users('list')).stdout.split('\n').find((l) => l.includes(account.email));
    expect(listed).toMatch(/\| no\s+\|/);

    expect(await users('activate', account.email)).toMatchObject({ code: 0, stdout: `${account.email} is now active.\n` });
    const again = await api.post('/auth/login', { data: { email: account.email, password: PASSWORD } });
    expect(again.status()).toBe(200);
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${(await again.json()).access_token}` } })).status()).toBe(200);
    // The sessions deactivation ended stay ended: their tokens do not come back to life.
    expect(await answer(me())).toEqual({ status: 401, body: SESSION_ENDED });
  });

  test('reset-2fa turns two-factor off and ends every session: the password alone logs in again', async ({ api, account }) => {
    test.slow(); // two CLI runs, each a cold tsx start
    await enableTwoFactor(api, account);
    const pending = await mfaToken(api, account.email, PASSWORD);
    expect(await users('reset-2fa', account.email)).toMatchObject({ code: 0, stdout: `${account.email}: two-factor is off and every session has ended.\n` });
    expect(await answer(api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } }))).toEqual({ status: 401, body: SESSION_ENDED });
    const login = await api.post('/auth/login', { data: { email: account.email, password: PASSWORD } });
    expect(login.status()).toBe(200);
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${(await login.json()).access_token}` } })).status()).toBe(200);
    // A second step begun before the reset is void.
    expect((await api.post('/auth/login/2fa', { data: { mfa_token: pending, recovery_code: 'aaaaa-aaaaa' } })).status()).toBe(401);
    expect((await users('reset-2fa', 'nobody-here@example.com')).code).toBe(1);
  });

  test('an unknown email exits 1 and says how to see who exists', async () => {
    const { code, stderr } = await users('deactivate', 'nobody-here@example.com');
    expect(code).toBe(1);
    expect(stderr).toContain('No account has the email "nobody-here@example.com". See who exists: npm run users -- list');
  });

  test('an unknown command or a missing email exits 1 with the usage', async () => {
    const unknown = await users('remove', 'x@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown command "remove".');
    expect(unknown.stderr).toContain('npm run users -- deactivate <email>');
    const missing = await users('activate');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Say which account');
  });

  test('verify marks the email verified, once', async ({ api, account }) => {
    expect(await users('verify', account.email)).toMatchObject({ code: 0, stdout: `${account.email} is now verified.\n` });
    expect(await (await api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } })).json()).toMatchObject({ email_verified: true });
    expect((await users('verify', account.email)).stdout).toBe(`${account.email} was already verified; nothing changed.\n`);
    expect((await users('list')).stdout.split('\n').find((l) => l.includes(account.email))).toMatch(/\| yes\s*$/);
    expect((await users('verify', 'nobody-here@example.com')).code).toBe(1);
  });

  test('set-password reads a piped password: the old one and every session stop working', async ({ api, account }) => {
    const { code, stdout } = await piped(['set-password', account.email], 'a password set by the admin\n');
    expect(code).toBe(0);
    expect(stdout).toBe(`${account.email} has a new password; every session of it has ended.\n`);
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } })).status()).toBe(401);
    expect((await api.post('/auth/login', { data: { email: account.email, password: PASSWORD } })).status()).toBe(401);
    expect((await api.post('/auth/login', { data: { email: account.email, password: 'a password set by the admin' } })).status()).toBe(200);
  });

  test('set-password keeps the registration rules: a refused password exits 1 and changes nothing', async ({ api, account }) => {
    for (const [input, message] of [['short\n', 'Use at least 8 characters.'], ['', 'No password on standard input'], [`${'x'.repeat(73)}\n`, 'at most 72 bytes']]) {
      const { code, stderr } = await piped(['set-password', account.email], input!);
      expect(code).toBe(1);
      expect(stderr).toContain(message);
      expect(stderr).toMatch(/[Nn]othing changed\./);
    }
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } })).status()).toBe(200);
  });

  test('set-password at a terminal asks twice and never shows what is typed', async ({ api, account }) => {
    const secret = 'typed at a terminal';
    const { code, output } = await atTerminal(['set-password', account.email], [secret, secret]);
    expect(code).toBe(0);
    expect(output).toContain('New password (not shown): ');
    expect(output).toContain('The same again: ');
    expect(output).not.toContain(secret);
    expect((await api.post('/auth/login', { data: { email: account.email, password: secret } })).status()).toBe(200);
  });

  test('delete removes the account and everything of it', async ({ api, account }) => {
    expect(await users('delete', account.email)).toMatchObject({ code: 0, stdout: `${account.email} is deleted, with its sessions and links.\n` });
    const left = await withDb(async (db) => (await db.query('select (select count(*)::int from users where id = $1) + (select count(*)::int from sessions where user_id = $1) as n', [account.id])).rows[0].n);
    expect(left).toBe(0);
    expect((await api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } })).status()).toBe(401);
    const again = await users('delete', account.email);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No account has the email "${account.email}"`);
  });
});

/** A command that hangs fails its test instead of outliving it: its whole process group is ended. */
function stopAfter(child: ChildProcess, ms: number): void {
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  }, ms);
  child.on('close', () => clearTimeout(timer));
}

/** The CLI with `input` piped to its standard input. */
function piped(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'users', '--', ...args], { env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL }, detached: true });
    stopAfter(child, 30_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * The CLI on a pseudo-terminal (util-linux `script`), typing each line once its prompt is shown (typed
 * earlier, the terminal itself would echo it before the program turns echo off).
 */
function atTerminal(args: string[], lines: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const command = ['npm', 'run', '--silent', 'users', '--', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL }, detached: true });
    stopAfter(child, 30_000);
    let output = '';
    let typed = 0;
    const prompts = ['New password (not shown): ', 'The same again: '];
    child.stdout.on('data', (chunk) => {
      output += chunk;
      while (typed < lines.length && output.includes(prompts[typed]!)) child.stdin.write(`${lines[typed++]}\r`);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}
