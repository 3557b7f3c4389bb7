import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect, meStatus, registerAndLogin, test } from '../support/fixtures';
import { serverEnv, startServer } from '../support/server';

test.describe('deploy', () => {
  test('the standalone output runs on its own, configured by environment variables alone', async () => {
    const built = path.join(process.cwd(), '.next', 'standalone');
    expect(fs.existsSync(path.join(built, 'server.js')), 'next build must write .next/standalone (output: "standalone")').toBe(true);
    // Copied out of the project, so that nothing can be found in the project's own node_modules: the
    // packages the server loads at run time (ws, the Neon driver, bcryptjs) must have been traced in.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'standalone-'));
    try {
      fs.cpSync(built, dir, { recursive: true });
      for (const name of ['ws', '@neondatabase/serverless', 'bcryptjs']) {
        expect(fs.existsSync(path.join(dir, 'node_modules', name, 'package.json')), `${name} traced`).toBe(true);
      }
      const server = await startServer(serverEnv(), { standalone: dir });
      try {
        const health = await fetch(`${server.url}/health`);
        expect(await health.json()).toEqual({ status: 'ok', database: 'ok' });
        const account = await registerAndLogin(server.url); // bcryptjs, the Neon driver over ws, jose
        expect(await meStatus(server.url, account.token)).toBe(200);
        // The bcrypt worker (a chunk of its own) was copied too: no fallback to the main thread.
        expect(server.output()).not.toContain('worker threads unavailable');
      } finally {
        await server.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('`next start <dir>` works from another folder (next.config.ts loads without the app\'s modules)', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'elsewhere-'));
    try {
      const server = await startServer(serverEnv(), { from: elsewhere });
      try {
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
        expect(server.output()).not.toContain('Cannot find module');
      } finally {
        await server.stop();
      }
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('`npx drizzle-kit migrate` with no database named says which URL to set, and what to run for the local one', async () => {
    const env = { ...process.env, DATABASE_URL: '', DATABASE_URL_UNPOOLED: '', __NEXT_PROCESSED_ENV: 'true' };
    const result = await promisify(execFile)('npx', ['drizzle-kit', 'migrate'], { env, timeout: 60_000 }).then(
      () => ({ failed: false, output: '' }),
      (error: { stdout: string; stderr: string }) => ({ failed: true, output: error.stdout + error.stderr }),
    );
    expect(result.failed).toBe(true);
    expect(result.output).toContain('DATABASE_URL_UNPOOLED, the direct (unpooled) connection string');
    expect(result.output).toContain('npm run db:migrate');
  });

  test('the release step, `npx drizzle-kit migrate`, migrates the database named by DATABASE_URL_UNPOOLED', async () => {
    const adminUrl = new URL(process.env.TEST_DATABASE_URL!);
    adminUrl.pathname = '/postgres';
    const name = `release_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl.href });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const fresh = new URL(adminUrl.href);
      fresh.pathname = `/${name}`;
      // DATABASE_URL (the pooled host) points elsewhere: migrations must take the direct one.
      const { stdout } = await promisify(execFile)('npx', ['drizzle-kit', 'migrate'], {
        env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL, DATABASE_URL_UNPOOLED: fresh.href },
        timeout: 60_000,
      });
      expect(stdout).toContain('migrations applied successfully');
      const client = new pg.Client({ connectionString: fresh.href });
      await client.connect();
      try {
        const { rows } = await client.query(`select to_regclass('public.users') is not null as users, (select count(*)::int from drizzle.__drizzle_migrations) as applied`);
        expect(rows[0]).toEqual({ users: true, applied: fs.readdirSync('drizzle').filter((f) => f.endsWith('.sql')).length });
      } finally {
        await client.end();
      }
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
