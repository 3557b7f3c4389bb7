/** The test servers: the settings they run with, and the child-process helpers (scripts/testing/child-server.ts). */
import { productionEnv } from '../../scripts/testing/child-server';

export { freePort, runServerToExit, startServer, type ChildServer as TestServer } from '../../scripts/testing/child-server';

/** The settings the test servers run with; a test overrides what it is about. */
export function serverEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return productionEnv({
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    JWT_SECRET: process.env.TEST_JWT_SECRET,
    TOTP_ENCRYPTION_KEY: process.env.TEST_TOTP_ENCRYPTION_KEY,
    BCRYPT_COST: '10',
    SMTP_URL: process.env.TEST_SMTP_URL,
    MAIL_FROM: 'neon-next-auth tests <no-reply@example.com>',
    APP_URL: 'http://localhost:3000',
    // Limits have tests of their own, on servers of their own; here they would only get in the way.
    RATE_LIMIT: 'off',
    ...overrides,
  });
}
