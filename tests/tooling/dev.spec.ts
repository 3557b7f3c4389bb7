import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readMailConfig } from '../../lib/config/mail';
import { passwordResetMessage } from '../../lib/mail/messages';
import { sendMail } from '../../lib/mail/send';
import { ensureJwtSecret, ensureTotpKey } from '../../scripts/support/jwt-secret';
import { expect, PASSWORD, test, uniqueEmail } from '../support/fixtures';
import { freePortPair, interrupt, runScriptInBackground } from '../support/processes';
import { freePort } from '../support/server';

test.describe('npm run dev', () => {
  test('with no DATABASE_URL and no SMTP_URL: starts the local database and mail catcher, migrates, says so, and serves the API', async () => {
    test.setTimeout(180_000);
    const [dbPort, webPort, mailPort] = [await freePortPair(), await freePort(), await freePort()];
    const mailDir = path.join(process.cwd(), '.data', `dev-test-mail-${Date.now()}`);
    const dev = runScriptInBackground('scripts/dev.ts', ['-p', String(webPort), '-H', '127.0.0.1'], {
      ...process.env,
      // No .env files (see tests/support/server.ts) and no DATABASE_URL from the shell: the local path.
      __NEXT_PROCESSED_ENV: 'true',
      DATABASE_URL: '',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      LOCAL_DB_PORT: String(dbPort),
      LOCAL_DB_DIR: path.join(process.cwd(), '.data', 'dev-test'),
      SMTP_URL: '',
      LOCAL_MAIL_PORT: String(mailPort),
      LOCAL_MAIL_DIR: mailDir,
      NEXT_TELEMETRY_DISABLED: '1',
    });
    try {
      await dev.waitFor(/migrations: (applied \d+ new migration\(s\)|none pending)/);
      expect(dev.output()).toContain('DATABASE_URL is not set; starting the local PostgreSQL 17');
      expect(dev.output()).not.toMatch(/postgresql:\/\/postgres:(?!\*\*\*)/); // the password is not printed
      const base = `http://127.0.0.1:${webPort}`;
      let health: Response | undefined;
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
        health = await fetch(`${base}/health`).catch(() => undefined);
        if (health) break;
      }
      expect(health?.status).toBe(200);
      const email = uniqueEmail('dev');
      const registered = await fetch(`${base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
      expect(registered.status).toBe(201);

      // The catcher listens where it said, keeps each message, and prints recipient, subject and link.
      const catcherUrl = `smtp://127.0.0.1:${mailPort}`;
      expect(dev.output()).toContain(`dev: SMTP_URL is not set; mail goes to the local catcher at ${catcherUrl}`);
      const config = readMailConfig({ SMTP_URL: catcherUrl, APP_URL: base });
      await sendMail(email, passwordResetMessage(config, { token: 'dev-token-1', expiresIn: 3600 }), config);
      await dev.waitFor(`mail: to ${email} | Reset your password for 127.0.0.1:${webPort} | ${base}/reset-password?token=dev-token-1`, 10_000);
      // Kept as a file too (beside the sign-up's verification message).
      const kept = fs.readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
      expect(kept.filter((name) => fs.readFileSync(path.join(mailDir, name), 'utf8').includes('dev-token-1'))).toHaveLength(1);
      // The link opens a page this API does not have: in development it answers which POST to make.
      const hint = await fetch(`${base}/reset-password?token=dev-token-1`);
      expect(hint.status).toBe(200);
      expect(await hint.json()).toEqual({
        message: expect.stringContaining('POSTs the token'),
        method: 'POST',
        path: '/auth/password/reset',
        body: { token: 'dev-token-1', new_password: '<the new password>' },
      });
      const verifyHint = await (await fetch(`${base}/verify-email?token=abc`)).json();
      expect(verifyHint).toMatchObject({ method: 'POST', path: '/auth/email/verify', body: { token: 'abc' } });
      expect((await fetch(`${base}/reset-password?token=dev-token-1`, { method: 'POST' })).status).toBe(404);
      // `next dev` builds the bcrypt worker too: registration hashed on a worker thread, not the fallback.
      expect(dev.output()).not.toContain('worker threads unavailable');
    } finally {
      interrupt(dev);
      await dev.exited;
      fs.rmSync(mailDir, { recursive: true, force: true });
    }
  });

  test('with no JWT_SECRET or TOTP_ENCRYPTION_KEY, one is written to .env.local (git-ignored, owner-only)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-secret-'));
    const saved = { JWT_SECRET: process.env.JWT_SECRET, JWT_PRIVATE_KEY: process.env.JWT_PRIVATE_KEY, TOTP_ENCRYPTION_KEY: process.env.TOTP_ENCRYPTION_KEY };
    delete process.env.JWT_SECRET;
    delete process.env.JWT_PRIVATE_KEY;
    delete process.env.TOTP_ENCRYPTION_KEY;
    try {
      fs.writeFileSync(path.join(dir, '.env.local'), 'OTHER=1');
      expect(ensureJwtSecret(dir)).toBe(true);
      const written = fs.readFileSync(path.join(dir, '.env.local'), 'utf8');
      expect(written).toMatch(/^OTHER=1\n# Made by npm run dev.*\nJWT_SECRET=[A-Za-z0-9_-]{43}\n$/);
      expect(fs.statSync(path.join(dir, '.env.local')).mode & 0o777).toBe(0o600);
      // Set now: a second call writes nothing.
      expect(ensureJwtSecret(dir)).toBe(false);
      expect(ensureTotpKey(dir)).toBe(true);
      expect(fs.readFileSync(path.join(dir, '.env.local'), 'utf8')).toMatch(/\nTOTP_ENCRYPTION_KEY=[A-Za-z0-9_-]{43}\n$/);
      expect(ensureTotpKey(dir)).toBe(false);
    } finally {
      Object.assign(process.env, saved);
      for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(fs.readFileSync('.gitignore', 'utf8')).toMatch(/^\.env\.local$/m);
  });
});
