import bcrypt from 'bcryptjs';
import { countUsers, expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { holdingLocks } from '../../support/interleave';

test.describe('POST /auth/register', () => {
  test('creates the account with a bcrypt hash and answers 201 without the hash', async ({ api }) => {
    const email = uniqueEmail('new');
    const response = await api.post('/auth/register', { data: { email, password: PASSWORD } });
    expect(response.status()).toBe(201);
    const body = await response.json();
    expect(body).toEqual({ id: expect.any(String), email, is_active: true, email_verified: false, two_factor_enabled: false, created_at: expect.any(String) });
    expect(Date.parse(body.created_at)).toBeGreaterThan(Date.now() - 60_000);

    const row = await withDb(async (db) => (await db.query('select * from users where id = $1', [body.id])).rows[0]);
    expect(row.hashed_password).toMatch(/^\$2[aby]\$10\$/);
    expect(row.hashed_password).not.toContain(PASSWORD);
    expect(await bcrypt.compare(PASSWORD, row.hashed_password)).toBe(true);
  });

  test('trims and lowercases the email', async ({ api }) => {
    const email = uniqueEmail('mixed');
    const response = await api.post('/auth/register', { data: { email: `  ${email.toUpperCase()} `, password: PASSWORD } });
    expect(response.status()).toBe(201);
    expect((await response.json()).email).toBe(email);
  });

  test('an invalid email gets 422 naming the field', async ({ api }) => {
    const response = await api.post('/auth/register', { data: { email: 'not-an-email', password: PASSWORD } });
    expect(response.status()).toBe(422);
    const body = await response.json();
    expect(body).toEqual({ error: 'validation_error', message: expect.any(String), fields: { email: expect.stringContaining('valid email') } });
  });

  test('missing fields are each named', async ({ api }) => {
    const response = await api.post('/auth/register', { data: {} });
    expect(response.status()).toBe(422);
    expect(Object.keys((await response.json()).fields).sort()).toEqual(['email', 'password']);
  });

  test('an unexpected field is refused by name', async ({ api }) => {
    const response = await api.post('/auth/register', { data: { email: uniqueEmail(), password: PASSWORD, is_active: false } });
    expect(response.status()).toBe(422);
    expect((await response.json()).fields).toEqual({ is_active: expect.any(String) });
  });

  test('a short password gets 422', async ({ api }) => {
    const response = await api.post('/auth/register', { data: { email: uniqueEmail(), password: 'short' } });
    expect(response.status()).toBe(422);
    expect((await response.json()).fields.password).toContain('at least 8');
  });

  test('a duplicate email, in any case, gets 409 and no second row', async ({ api }) => {
    const email = uniqueEmail('dup');
    expect((await api.post('/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
    const again = await api.post('/auth/register', { data: { email: email.toUpperCase(), password: 'another password' } });
    expect(again.status()).toBe(409);
    expect(await again.json()).toEqual({ error: 'email_taken', message: expect.any(String) });
    expect(await countUsers(email)).toBe(1);
  });

  test('concurrent registrations of one email, all past any check before one inserts: one 201, the rest 409, one row', async ({ api }) => {
    const email = uniqueEmail('race');
    const ATTEMPTS = 4; // well under the server's pool (DB_POOL_MAX=10): each waiting insert holds a connection
    const statuses = await holdingLocks(async (holder) => {
      // An uncommitted row with this email: every registration's insert waits on it at the unique index,
      // so all of them have done whatever they do before inserting when the first insert goes through.
      await holder.query('insert into users (email, hashed_password) values ($1, $2)', [email, 'not a hash']);
      const registering = Array.from({ length: ATTEMPTS }, (_, i) =>
        api.post('/auth/register', { data: { email: i % 2 ? email : email.toUpperCase(), password: PASSWORD } }).then((r) => r.status()),
      );
      await holder.waitForBlocked(ATTEMPTS, registering);
      await holder.rollback();
      return Promise.all(registering);
    });
    const tally = statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
    expect(tally).toEqual({ 201: 1, 409: ATTEMPTS - 1 });
    expect(await countUsers(email)).toBe(1);
  });

  test.describe('the 72-byte limit of bcrypt', () => {
    const cases: [string, string, number][] = [
      ['72 ASCII bytes', 'a'.repeat(72), 201],
      ['73 ASCII bytes', 'a'.repeat(73), 422],
      ['36 two-byte letters (72 bytes)', 'é'.repeat(36), 201],
      ['36 two-byte letters and one more byte (73 bytes)', `${'é'.repeat(36)}a`, 422],
      ['18 four-byte emoji (72 bytes)', '🔑'.repeat(18), 201],
      ['19 four-byte emoji (76 bytes, 19 characters)', '🔑'.repeat(19), 422],
    ];
    for (const [name, password, status] of cases) {
      test(`${name} -> ${status}`, async ({ api }) => {
        const response = await api.post('/auth/register', { data: { email: uniqueEmail(), password } });
        expect(response.status()).toBe(status);
        if (status === 422) expect((await response.json()).fields.password).toContain('72 bytes');
      });
    }

    test('a password is NFKC-normalised: the decomposed and composed forms log in alike', async ({ api }) => {
      const email = uniqueEmail('nfkc');
      const decomposed = 'cafe\u0301 au lait'; // e + combining acute
      const composed = 'caf\u00e9 au lait';
      expect((await api.post('/auth/register', { data: { email, password: decomposed } })).status()).toBe(201);
      expect((await api.post('/auth/login', { data: { email, password: composed } })).status()).toBe(200);
    });
  });
});
