import { defineConfig } from 'drizzle-kit';
import { databaseUrl } from './lib/config/database-url';
import { loadEnvFiles } from './scripts/support/env';

loadEnvFiles(); // .env.local and friends, as the app reads them

// Migrations go to Neon's direct host (DATABASE_URL_UNPOOLED) when it is set: schema changes belong on a
// direct connection, not behind the pooler (PgBouncer in transaction mode). drizzle-kit connects over TCP
// with `pg` (installed for that), which reaches Neon and the local database alike. drizzle-kit's migrator
// takes no lock: `npm run db:migrate` does (scripts/migrate.ts); prefer it as the release step.
const name = process.env.DATABASE_URL_UNPOOLED?.trim() ? 'DATABASE_URL_UNPOOLED' : 'DATABASE_URL';
const needsDatabase = process.argv.some((arg) => ['migrate', 'push', 'pull', 'studio'].includes(arg));

// drizzle-kit cannot start or find the local database of `npm run dev`; `npm run db:migrate` can.
if (needsDatabase && !process.env.DATABASE_URL_UNPOOLED?.trim() && !process.env.DATABASE_URL?.trim()) {
  throw new Error(
    'drizzle-kit needs DATABASE_URL_UNPOOLED, the direct (unpooled) connection string migrations belong on ' +
      '(`npx neonctl@5 connection-string`), or DATABASE_URL. For the local database of `npm run dev`, run `npm run db:migrate` instead.',
  );
}

export default defineConfig({
  dialect: 'postgresql',
  schema: './lib/db/schema.ts',
  out: './drizzle',
  dbCredentials: { url: needsDatabase ? databaseUrl(process.env, name).href : '' },
  strict: true,
  verbose: true,
});
