import { databaseUrl } from '../../lib/db/url';
import { expect, test, withDb } from '../support/fixtures';
import { serverBehindCuttableRelay } from '../support/outage';
import { runServerToExit, serverEnv } from '../support/server';

test.describe('the users table, as the migration creates it', () => {
  test('has exactly the expected columns, types, nullability and defaults', async () => {
    const columns = await withDb(async (db) =>
      (
        await db.query(
          `select column_name, data_type, is_nullable, column_default from information_schema.columns
           where table_schema = 'public' and table_name = 'users' order by ordinal_position`,
        )
      ).rows,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'uuid', is_nullable: 'NO', column_default: 'gen_random_uuid()' },
      { column_name: 'email', data_type: 'text', is_nullable: 'NO', column_default: null },
      { column_name: 'hashed_password', data_type: 'text', is_nullable: 'NO', column_default: null },
      { column_name: 'is_active', data_type: 'boolean', is_nullable: 'NO', column_default: 'true' },
      { column_name: 'created_at', data_type: 'timestamp with time zone', is_nullable: 'NO', column_default: 'now()' },
    ]);
  });

  test('has a primary key on id and a unique index on lower(email)', async () => {
    const indexes = await withDb(async (db) =>
      (await db.query(`select indexname, indexdef from pg_indexes where tablename = 'users' order by indexname`)).rows,
    );
    expect(indexes).toEqual([
      {
        indexname: 'users_email_lower_key',
        indexdef: 'CREATE UNIQUE INDEX users_email_lower_key ON public.users USING btree (lower(email))',
      },
      { indexname: 'users_pkey', indexdef: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)' },
    ]);
  });

  test('the index refuses the same email in another case, in the database itself', async () => {
    await withDb(async (db) => {
      await db.query(`insert into users (email, hashed_password) values ('case-probe@example.com', 'x')`);
      await expect(
        db.query(`insert into users (email, hashed_password) values ('CASE-Probe@Example.com', 'x')`),
      ).rejects.toMatchObject({ code: '23505', constraint: 'users_email_lower_key' });
      await db.query(`delete from users where lower(email) = 'case-probe@example.com'`);
    });
  });
});

test.describe('routing', () => {
  test('GET /health answers ok when the database answers', async ({ api }) => {
    const response = await api.get('/health');
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
    expect(response.headers()['cache-control']).toBe('no-store');
  });

  for (const path of ['/nope', '/auth', '/auth/register/extra']) {
    test(`unknown path ${path} answers a JSON 404`, async ({ api }) => {
      const response = await api.post(path);
      expect(response.status()).toBe(404);
      expect(response.headers()['content-type']).toContain('application/json');
      expect(await response.json()).toEqual({ error: 'not_found', message: expect.any(String) });
      expect((await api.get(path)).status()).toBe(404);
    });
  }

  const wrongMethods: [string, string, string][] = [
    ['GET', '/auth/register', 'POST'],
    ['DELETE', '/auth/login', 'POST'],
    ['PUT', '/health', 'GET, HEAD'],
  ];
  for (const [method, path, allowed] of wrongMethods) {
    test(`${method} ${path} answers a JSON 405 with Allow: ${allowed}`, async ({ api }) => {
      const response = await api.fetch(path, { method });
      expect(response.status()).toBe(405);
      expect(response.headers()['allow']).toBe(allowed);
      expect(await response.json()).toEqual({ error: 'method_not_allowed', message: expect.stringContaining(allowed) });
    });
  }

  test('a wrong method on a protected path answers 405 once the token is good (401 before that)', async ({ api, account }) => {
    expect((await api.post('/auth/me')).status()).toBe(401);
    const response = await api.post('/auth/me', { headers: { authorization: `Bearer ${account.token}` } });
    expect(response.status()).toBe(405);
    expect(response.headers()['allow']).toBe('GET, HEAD');
    expect((await response.json()).error).toBe('method_not_allowed');
  });

  test('HEAD works wherever GET does (uptime monitors use it)', async ({ api }) => {
    for (const path of ['/health', '/']) expect((await api.head(path)).status()).toBe(200);
  });

  test('GET / describes the service', async ({ api }) => {
    const response = await api.get('/');
    expect(response.status()).toBe(200);
    expect(await response.json()).toMatchObject({ service: 'neon-next-auth' });
  });

  test('no framework banner', async ({ api }) => {
    const response = await api.get('/health');
    expect(response.headers()['x-powered-by']).toBeUndefined();
  });
});

test.describe('configuration errors', () => {
  test('a missing DATABASE_URL is named, with what to do', () => {
    expect(() => databaseUrl({})).toThrow(/DATABASE_URL is not set.*neonctl connection-string --pooled.*npm run dev/s);
  });

  test('a malformed DATABASE_URL is named, with the expected form', () => {
    expect(() => databaseUrl({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL is not a valid URL.*postgresql:\/\//);
    expect(() => databaseUrl({ DATABASE_URL: 'mysql://u:p@h/db' })).toThrow(/must start with postgresql:\/\//);
    expect(() => databaseUrl({ DATABASE_URL: 'postgresql://u:p@host' })).toThrow(/must name a host and a database/);
  });

  test('the production server refuses to start without JWT_SECRET, or with a short one, and says how to make one', async () => {
    const missing = await runServerToExit(serverEnv({ JWT_SECRET: undefined }));
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('Cannot start: JWT_SECRET is not set');
    expect(missing.output).toContain("randomBytes(32).toString('base64url')");
    const short = await runServerToExit(serverEnv({ JWT_SECRET: 'x'.repeat(31) }));
    expect(short.code).toBe(1);
    expect(short.output).toContain('JWT_SECRET is too short: 31 bytes, at least 32 needed');
  });

  test('the production server refuses to start without DATABASE_URL and says why', async () => {
    const { code, output } = await runServerToExit(serverEnv({ DATABASE_URL: undefined }));
    expect(code).toBe(1);
    expect(output).toContain('Cannot start: DATABASE_URL is not set');
  });
});

test.describe('database outage', () => {
  test('/health answers 503 within seconds while the database is unreachable, and ok again after, without a restart', async () => {
    const rig = await serverBehindCuttableRelay();
    try {
      expect((await fetch(`${rig.server.url}/health`)).status).toBe(200);
      await rig.cut();
      const started = Date.now();
      const down = await fetch(`${rig.server.url}/health`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'error', database: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(5_000);
      await rig.restore();
      const up = await fetch(`${rig.server.url}/health`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ status: 'ok', database: 'ok' });
    } finally {
      await rig.stop();
    }
  });
});
