import { expect, test } from '@playwright/test';
import { readMailConfig } from '../../lib/config/mail';

const PROD = { NODE_ENV: 'production', SMTP_URL: 'smtps://mailer:s3cret-pass@smtp.example.com:465', MAIL_FROM: 'Example <no-reply@example.com>', APP_URL: 'https://app.example.com' };

test.describe('mail settings', () => {
  test('in development nothing is needed: the local catcher, links to the dev server, verification optional', () => {
    expect(readMailConfig({})).toEqual({
      mode: 'smtp',
      smtpUrl: 'smtp://127.0.0.1:1025',
      requireTls: false,
      from: 'neon-next-auth <no-reply@localhost>',
      replyTo: null,
      appName: 'localhost:3000',
      appUrl: 'http://localhost:3000',
      paths: { resetPassword: '/reset-password', verifyEmail: '/verify-email' },
      emailVerification: 'optional',
    });
  });

  test('production without SMTP_URL refuses, and says how to set it or turn mail off', () => {
    expect(() => readMailConfig({ ...PROD, SMTP_URL: undefined })).toThrow(/^SMTP_URL is not set\. .*smtps:\/\/USER:PASSWORD@smtp\.example\.com:465.*SMTP_URL=off/);
    expect(() => readMailConfig({ ...PROD, SMTP_URL: '  ' })).toThrow(/^SMTP_URL is not set/);
  });

  test('SMTP_URL=off turns mail off, and then email verification is off too', () => {
    const config = readMailConfig({ NODE_ENV: 'production', SMTP_URL: 'off' });
    expect(config).toMatchObject({ mode: 'off', smtpUrl: null, emailVerification: 'off' });
    expect(readMailConfig({ NODE_ENV: 'production', SMTP_URL: 'OFF', EMAIL_VERIFICATION: 'off' }).mode).toBe('off');
  });

  test('EMAIL_VERIFICATION optional or required with SMTP_URL=off refuses, naming both', () => {
    for (const value of ['optional', 'required']) {
      expect(() => readMailConfig({ NODE_ENV: 'production', SMTP_URL: 'off', EMAIL_VERIFICATION: value })).toThrow(
        `EMAIL_VERIFICATION=${value} needs mail, but SMTP_URL=off. Set EMAIL_VERIFICATION=off, or set SMTP_URL`,
      );
    }
  });

  test('EMAIL_VERIFICATION takes off, optional or required (any case), nothing else', () => {
    expect(readMailConfig({ ...PROD, EMAIL_VERIFICATION: 'Required' }).emailVerification).toBe('required');
    expect(readMailConfig({ ...PROD, EMAIL_VERIFICATION: 'off' }).emailVerification).toBe('off');
    expect(() => readMailConfig({ ...PROD, EMAIL_VERIFICATION: 'sometimes' })).toThrow('EMAIL_VERIFICATION must be off, optional or required (got "sometimes").');
  });

  test('a malformed SMTP_URL is named without echoing it (it holds the password)', () => {
    for (const [value, message] of [
      ['smtp//mailer:s3cret-pass@host', /SMTP_URL is not a valid URL/],
      ['mysql://mailer:s3cret-pass@host', /SMTP_URL must start with smtp:\/\/ or smtps:\/\/ \(found mysql:\/\/\)/],
    ] as const) {
      let error: Error | undefined;
      try {
        readMailConfig({ ...PROD, SMTP_URL: value });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain('s3cret-pass');
    }
  });

  test('production with mail on needs MAIL_FROM and APP_URL, and says what to write', () => {
    expect(() => readMailConfig({ ...PROD, MAIL_FROM: undefined })).toThrow(/^MAIL_FROM is not set\. .*MAIL_FROM="Example <no-reply@example\.com>"/);
    expect(() => readMailConfig({ ...PROD, APP_URL: undefined })).toThrow(/^APP_URL is not set\. .*APP_URL=https:\/\/app\.example\.com/);
    // With mail off neither is needed.
    expect(readMailConfig({ NODE_ENV: 'production', SMTP_URL: 'off' }).mode).toBe('off');
  });

  test('links carrying tokens must use https in production, except to this machine', () => {
    expect(() => readMailConfig({ ...PROD, APP_URL: 'http://app.example.com' })).toThrow(/APP_URL must use https:\/\/ in production/);
    expect(readMailConfig({ ...PROD, APP_URL: 'http://localhost:3000' }).appUrl).toBe('http://localhost:3000');
    expect(readMailConfig({ APP_URL: 'http://192.168.1.20:3000' }).appUrl).toBe('http://192.168.1.20:3000');
    expect(() => readMailConfig({ ...PROD, APP_URL: 'https://app.example.com/?next=x' })).toThrow(/APP_URL must be a plain address/);
    expect(() => readMailConfig({ ...PROD, APP_URL: 'app.example.com' })).toThrow(/APP_URL is not a valid URL/);
  });

  test('APP_URL may have a base path; the trailing slash goes', () => {
    expect(readMailConfig({ ...PROD, APP_URL: 'https://example.com/app/' }).appUrl).toBe('https://example.com/app');
    expect(readMailConfig({ ...PROD, APP_URL: 'https://example.com/' }).appUrl).toBe('https://example.com');
  });

  test('MAIL_FROM and MAIL_REPLY_TO must be addresses', () => {
    expect(readMailConfig({ ...PROD, MAIL_FROM: 'no-reply@example.com', MAIL_REPLY_TO: 'Support <help@example.com>' })).toMatchObject({
      from: 'no-reply@example.com',
      replyTo: 'Support <help@example.com>',
    });
    expect(() => readMailConfig({ ...PROD, MAIL_FROM: 'Example' })).toThrow(/^MAIL_FROM must be an email address, e\.g\./);
    expect(() => readMailConfig({ ...PROD, MAIL_REPLY_TO: 'help' })).toThrow(/^MAIL_REPLY_TO must be an email address/);
  });

  test('the link paths are configurable, and must be paths', () => {
    const config = readMailConfig({ ...PROD, MAIL_RESET_PATH: '/account/reset', MAIL_VERIFY_PATH: '/account/verify' });
    expect(config.paths).toEqual({ resetPassword: '/account/reset', verifyEmail: '/account/verify' });
    expect(() => readMailConfig({ ...PROD, MAIL_RESET_PATH: 'reset-password' })).toThrow(/^MAIL_RESET_PATH must be a path starting with \//);
    expect(() => readMailConfig({ ...PROD, MAIL_VERIFY_PATH: '/verify?x=1' })).toThrow(/^MAIL_VERIFY_PATH must be a path starting with \/, without query/);
  });

  test('APP_NAME names the service in messages; by default the host of APP_URL', () => {
    expect(readMailConfig(PROD).appName).toBe('app.example.com');
    expect(readMailConfig({ ...PROD, APP_NAME: 'Example' }).appName).toBe('Example');
  });

  test('in production a plain smtp:// to another machine must upgrade with STARTTLS; smtps:// and this machine need not', () => {
    expect(readMailConfig({ ...PROD, SMTP_URL: 'smtp://u:p@smtp.example.com:587' }).requireTls).toBe(true);
    expect(readMailConfig(PROD).requireTls).toBe(false); // smtps: TLS from the first byte
    expect(readMailConfig({ ...PROD, SMTP_URL: 'smtp://127.0.0.1:2525' }).requireTls).toBe(false);
    expect(readMailConfig({ SMTP_URL: 'smtp://mailpit:1025' }).requireTls).toBe(false); // development
  });
});
