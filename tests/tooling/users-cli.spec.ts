import { expect, PASSWORD, test } from '../support/fixtures';
import { runNpmScript } from '../support/cli';
import { ACCOUNT_INACTIVE, answer, SESSION_ENDED } from '../support/sessions';

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

  test('an unknown email exits 1 and says how to see who exists', async () => {
    const { code, stderr } = await users('deactivate', 'nobody-here@example.com');
    expect(code).toBe(1);
    expect(stderr).toContain('No account has the email "nobody-here@example.com". See who exists: npm run users -- list');
  });

  test('an unknown command or a missing email exits 1 with the usage', async () => {
    const unknown = await users('delete', 'x@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown command "delete".');
    expect(unknown.stderr).toContain('npm run users -- deactivate <email>');
    const missing = await users('activate');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Say which account');
  });
});
