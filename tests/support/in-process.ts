/**
 * For tests that call the server's own modules (lib/...) in the test process, without HTTP: what an
 * answer cannot show (how much bcrypt work a login did) or what HTTP cannot reach deterministically
 * (the conditions of one statement). The modules read their settings from process.env on first use
 * and keep their configuration and database pool on globalThis; this sets the settings for one file
 * and starts and ends with neither cached, so that files sharing a worker never see each other's.
 */
import type { TestType } from '@playwright/test';

type Cached = typeof globalThis & { __authConfig?: unknown; __authDatabase?: { pool: { end(): Promise<void> } } };

export function serverModulesInProcess(test: TestType<object, object>, settings: () => Record<string, string>): void {
  const saved: Record<string, string | undefined> = {};
  const forget = () => {
    const cached = globalThis as Cached;
    delete cached.__authConfig;
    const database = cached.__authDatabase;
    delete cached.__authDatabase;
    return database?.pool.end();
  };
  test.beforeAll(async () => {
    await forget();
    for (const [name, value] of Object.entries(settings())) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  test.afterAll(async () => {
    await forget();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

/** The settings of the test database and secret, as the test server has them (the global setup's). */
export function testServerSettings(): Record<string, string> {
  return { DATABASE_URL: process.env.TEST_DATABASE_URL!, JWT_SECRET: process.env.TEST_JWT_SECRET!, TOTP_ENCRYPTION_KEY: process.env.TEST_TOTP_ENCRYPTION_KEY!, RATE_LIMIT: 'off' };
}
