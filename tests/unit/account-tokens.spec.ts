import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { hashLinkToken, isWellFormedLinkToken, newLinkToken } from '../../lib/auth/store/account-tokens';
import { ConfigError, readConfig } from '../../lib/config';

test('a link token is 256 random bits in base64url (43 characters), never the same twice', () => {
  const tokens = Array.from({ length: 200 }, newLinkToken);
  for (const token of tokens) {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(isWellFormedLinkToken(token)).toBe(true);
  }
  expect(new Set(tokens).size).toBe(tokens.length);
});

test('what is stored is the SHA-256 of the token, in hex', () => {
  const token = newLinkToken();
  expect(hashLinkToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
  expect(hashLinkToken(token)).not.toContain(token);
});

test('anything a token cannot be is refused before the database', () => {
  const token = newLinkToken();
  for (const bad of ['', token.slice(1), `${token}A`, `${token.slice(1)}=`, `${token.slice(1)}+`, `${token.slice(2)}%2`, ' '.repeat(43), `${token.slice(1)}\n`]) {
    expect(isWellFormedLinkToken(bad), JSON.stringify(bad)).toBe(false);
  }
});

test('link lifetimes and the mail limits: defaults, and bad values named', () => {
  const config = readConfig({});
  expect(config.auth.passwordResetTtl).toBe(30 * 60);
  expect(config.auth.emailVerificationTtl).toBe(24 * 3600);
  expect(config.rateLimit.forgotPerAddress).toEqual({ max: 10, windowSeconds: 3600 });
  expect(config.rateLimit.forgotPerEmail).toEqual({ max: 3, windowSeconds: 3600 });
  expect(config.rateLimit.resendPerUser).toEqual({ max: 3, windowSeconds: 3600 });
  expect(readConfig({ PASSWORD_RESET_TTL: '1h', EMAIL_VERIFICATION_TTL: '2d' }).auth).toMatchObject({ passwordResetTtl: 3600, emailVerificationTtl: 172800 });
  expect(() => readConfig({ PASSWORD_RESET_TTL: 'soon', RATE_LIMIT_FORGOT_EMAIL: 'three' })).toThrow(ConfigError);
  expect(() => readConfig({ PASSWORD_RESET_TTL: 'soon' })).toThrow('PASSWORD_RESET_TTL must be a duration such as 900, 15m, 12h or 30d (got "soon").');
  expect(() => readConfig({ RATE_LIMIT_FORGOT_EMAIL: '3' })).toThrow('RATE_LIMIT_FORGOT_EMAIL must look like 30/1m');
});
