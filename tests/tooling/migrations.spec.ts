import fs from 'node:fs';
import pg from 'pg';
import { expect, test, withDb } from '../support/fixtures';

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
      { column_name: 'email_verified_at', data_type: 'timestamp with time zone', is_nullable: 'YES', column_default: null },
      { column_name: 'totp_secret', data_type: 'text', is_nullable: 'YES', column_default: null },
      { column_name: 'totp_pending_secret', data_type: 'text', is_nullable: 'YES', column_default: null },
      { column_name: 'totp_last_step', data_type: 'bigint', is_nullable: 'YES', column_default: null },
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

test.describe('npm run db:migrate', () => {
  test('runs started at once on a fresh database all succeed and apply each migration once (they queue on a lock)', async () => {
    const { applyMigrations } = await import('../../scripts/migrate');
    const name = `migrate_race_${Date.now()}`;
    await withDb((db) => db.query(`create database ${name}`));
    try {
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.pathname = `/${name}`;
      const runs = await Promise.allSettled([applyMigrations(url), applyMigrations(url), applyMigrations(url)]);
      expect(runs.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const journal = JSON.parse(fs.readFileSync('drizzle/meta/_journal.json', 'utf8')) as { entries: unknown[] };
      const applied = runs.map((r) => (r as PromiseFulfilledResult<{ applied: number }>).value.applied).sort();
      expect(applied).toEqual([0, 0, journal.entries.length]);
      const target = new pg.Client({ connectionString: url.href });
      await target.connect();
      try {
        const { rows } = await target.query('select count(*)::int as n, count(distinct hash)::int as distinct_n from drizzle.__drizzle_migrations');
        expect(rows[0]).toEqual({ n: journal.entries.length, distinct_n: journal.entries.length });
      } finally {
        await target.end();
      }
    } finally {
      await withDb((db) => db.query(`drop database if exists ${name} with (force)`));
    }
  });
});
