import { databaseUrl } from '../../lib/config/database-url';
import { expect, test } from '../support/fixtures';
import { runServerToExit, serverEnv } from '../support/server';

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

  test('the production server refuses to start without TOTP_ENCRYPTION_KEY, or with one that is not 32 bytes', async () => {
    const missing = await runServerToExit(serverEnv({ TOTP_ENCRYPTION_KEY: undefined }));
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('Cannot start: TOTP_ENCRYPTION_KEY is not set');
    const short = await runServerToExit(serverEnv({ TOTP_ENCRYPTION_KEY: 'x'.repeat(20) }));
    expect(short.code).toBe(1);
    expect(short.output).toContain('TOTP_ENCRYPTION_KEY must be 32 random bytes');
  });

  test('the production server refuses to start without DATABASE_URL and says why', async () => {
    const { code, output } = await runServerToExit(serverEnv({ DATABASE_URL: undefined }));
    expect(code).toBe(1);
    expect(output).toContain('Cannot start: DATABASE_URL is not set');
  });
});
