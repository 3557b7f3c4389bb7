/** The test servers: the settings they run with, and the child-process helpers (scripts/child-server.ts). */
export { freePort, runServerToExit, startServer, type ChildServer as TestServer } from '../../scripts/child-server';

/** The settings the test servers run with; a test overrides what it is about. */
export function serverEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    // Next.js's own flag for "env files already loaded": the test servers ignore a developer's .env
    // files (.env.local may hold a JWT_SECRET or a Neon DATABASE_URL) and see only what is set here.
    __NEXT_PROCESSED_ENV: 'true',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    JWT_SECRET: process.env.TEST_JWT_SECRET,
    BCRYPT_COST: '10',
    SMTP_URL: process.env.TEST_SMTP_URL,
    MAIL_FROM: 'neon-next-auth tests <no-reply@example.com>',
    APP_URL: 'http://localhost:3000',
    // Limits have tests of their own, on servers of their own; here they would only get in the way.
    RATE_LIMIT: 'off',
    ...overrides,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}
