/**
 * A migrated database of its own on the test cluster, for tests that count or age every row of a
 * table: other test files write to the shared test database in parallel.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../scripts/migrate';

export type OwnDatabase = {
  url: string;
  /** Runs one query there and returns its rows. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
};

export async function ownDatabase(tag: string): Promise<OwnDatabase> {
  const adminUrl = new URL(process.env.TEST_DATABASE_URL!);
  adminUrl.pathname = '/postgres';
  const name = `auth_${tag}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const own = new URL(adminUrl);
  own.pathname = `/${name}`;
  await applyMigrations(own);
  const client = new pg.Client({ connectionString: own.href });
  await client.connect();
  return {
    url: own.href,
    query: async (text, values) => (await client.query(text, values)).rows,
    async drop() {
      await client.end();
      const cleanup = new pg.Client({ connectionString: adminUrl.href });
      await cleanup.connect();
      try {
        await cleanup.query(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
