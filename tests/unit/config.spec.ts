import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { ConfigError, readConfig, SETTINGS } from '../../lib/config';

const declared = Object.keys(SETTINGS).sort();

test('.env.example lists exactly the variables lib/config/index.ts reads', () => {
  const names = [...fs.readFileSync('.env.example', 'utf8').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
  expect([...new Set(names)].sort()).toEqual(declared);
});

test("the README's configuration table lists exactly the variables lib/config/index.ts reads", () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section.slice(0, section.indexOf('\n## ', 5));
  const names = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!);
  expect([...new Set(names)].sort()).toEqual(declared);
});

test('every bad value is reported at once, each naming its variable and what to write', () => {
  let error: unknown;
  try {
    readConfig({ DB_POOL_MAX: 'lots', BCRYPT_WORKERS: '-1', CORS_ORIGINS: 'app.example.com', BCRYPT_COST: '9', SESSION_MAX_AGE: 'forever' });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message).toMatch(/^5 settings need fixing/);
  expect(message).toContain('DB_POOL_MAX must be a whole number from 1 to 1000 (got "lots")');
  expect(message).toContain('BCRYPT_WORKERS must be a whole number from 0 to 64 (got "-1")');
  expect(message).toContain('CORS_ORIGINS must list origins like https://app.example.com');
  expect(message).toContain('BCRYPT_COST must be a whole number from 10 to 15 (got "9")');
  expect(message).toContain('SESSION_MAX_AGE must be a duration such as 900, 15m, 12h or 30d (got "forever")');
});

test('defaults hold when nothing is set, and a production start also needs a database and a key', () => {
  const config = readConfig({});
  expect(config.passwords.bcryptCost).toBe(12);
  expect(config.database.poolMax).toBe(10);
  expect(config.auth.sessionMaxAge).toBe(90 * 86400);
  expect(config.http.corsOrigins).toEqual([]);
  expect(() => readConfig({}, { strict: true })).toThrow(/3 settings need fixing[\s\S]*JWT_SECRET is not set[\s\S]*TOTP_ENCRYPTION_KEY is not set[\s\S]*DATABASE_URL is not set/);
});

test("an account's cap on failures must exceed one address's free attempts, or one address could lock it", () => {
  expect(readConfig({}).rateLimit.loginAccountFailures).toEqual({ max: 20, windowSeconds: 3600 });
  expect(() => readConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '5/1h' })).toThrow(
    /LOGIN_ACCOUNT_MAX_FAILURES allows 5 failures per account, which must be more than LOGIN_FAILURES_BEFORE_BACKOFF \(5\)/,
  );
  expect(readConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '5/1h', LOGIN_FAILURES_BEFORE_BACKOFF: '4' }).rateLimit.loginAccountFailures.max).toBe(5);
  expect(() => readConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '20' })).toThrow(/LOGIN_ACCOUNT_MAX_FAILURES must look like 30\/1m/);
});
