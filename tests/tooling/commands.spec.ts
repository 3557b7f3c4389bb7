import { randomUUID } from 'node:crypto';
import { expect, test, uniqueEmail, withDb } from '../support/fixtures';
import { runScript } from '../support/commands';

test.describe('database commands', () => {
  test('db:verify prints the users table, its columns, indexes and applied migrations', async () => {
    const { code, stdout } = await runScript('verify');
    expect(code).toBe(0);
    for (const text of ['Tables in schema public', 'Columns of users', 'hashed_password', 'timestamp with time zone', 'users_email_lower_key', 'lower(email)', 'Applied migrations']) {
      expect(stdout).toContain(text);
    }
  });

  test('db:migrate on an up-to-date database applies nothing and says so', async () => {
    const { code, stdout } = await runScript('migrate');
    expect(code).toBe(0);
    expect(stdout).toMatch(/none pending \(\d+ already applied\)/);
  });

  test('db:prune deletes expired and long-revoked sessions, and only those', async () => {
    const email = uniqueEmail('prune');
    const ids = { live: randomUUID(), expired: randomUUID(), revokedLongAgo: randomUUID(), revokedRecently: randomUUID() };
    await withDb(async (db) => {
      const { rows } = await db.query(`insert into users (email, hashed_password) values ($1, 'x') returning id`, [email]);
      const userId = rows[0].id;
      const insert = (id: string, expires: string, revoked: string | null) =>
        db.query(`insert into sessions (id, user_id, expires_at, revoked_at) values ($1, $2, now() + $3::interval, now() + $4::interval)`, [id, userId, expires, revoked]);
      await insert(ids.live, '1 day', null);
      await insert(ids.expired, '-1 minute', null);
      await insert(ids.revokedLongAgo, '1 day', '-8 days');
      await insert(ids.revokedRecently, '1 day', '-1 hour');
    });
    const { code, stdout } = await runScript('prune');
    expect(code).toBe(0);
    expect(stdout).toMatch(/deleted \d+ expired or long-revoked session/);
    const left = await withDb(async (db) => (await db.query('select id from sessions where id = any($1)', [Object.values(ids)])).rows.map((r) => r.id));
    expect(left.sort()).toEqual([ids.live, ids.revokedRecently].sort());
  });
});

test('mail:token refuses an unknown kind at once, naming the kinds it knows', async () => {
  const { code, stderr } = await runScript('mail-token', ['ada@example.com', 'reset']);
  expect(code).not.toBe(0);
  expect(stderr).toContain('Unknown kind "reset"');
  expect(stderr).toContain('password_reset | verify_email');
  // Not the answer of a search that waited and found nothing.
  expect(stderr).not.toContain('No message with a token');
});
