/**
 * npm run db:verify: shows that the auth tables exist and have the expected structure, with the same
 * SQL the README gives for psql against Neon.
 */
import { withPool } from './support/db';
import { run } from './support/run';
import { printTable } from './support/table';

export const VERIFY_QUERIES = {
  tables: `select table_schema, table_name from information_schema.tables
  where table_schema = 'public' order by table_name`,
  columns: `select column_name, data_type, is_nullable, column_default from information_schema.columns
  where table_schema = 'public' and table_name = 'users' order by ordinal_position`,
  indexes: `select indexname, indexdef from pg_indexes
  where schemaname = 'public' and tablename = 'users' order by indexname`,
  migrations: `select id, hash, to_timestamp(created_at / 1000) as generated_at
  from drizzle.__drizzle_migrations order by id`,
};

run(() =>
  withPool(async (pool, url) => {
    console.log(`Database: ${url.hostname}${url.pathname}`);
    const tables = await pool.query(VERIFY_QUERIES.tables);
    printTable('Tables in schema public', tables.rows);
    if (!tables.rows.some((r) => r.table_name === 'users')) {
      console.log('\nThe users table does not exist yet: run `npm run db:migrate` (or `npx drizzle-kit migrate`).');
      process.exitCode = 1;
      return;
    }
    printTable('Columns of users', (await pool.query(VERIFY_QUERIES.columns)).rows);
    printTable('Indexes on users', (await pool.query(VERIFY_QUERIES.indexes)).rows);
    printTable('Applied migrations (drizzle.__drizzle_migrations)', (await pool.query(VERIFY_QUERIES.migrations)).rows);
  }),
);
