import { expect, test } from '@playwright/test';
import {
  accountDeletedMessage,
  describeDuration,
  linkWithToken,
  passwordChangedMessage,
  passwordResetMessage,
  signupAttemptMessage,
  verifyEmailMessage,
  twoFactorEnabledMessage,
  twoFactorDisabledMessage,
  recoveryCodeUsedMessage,
  recoveryCodesReplacedMessage,
  type MessageSettings,
} from '../../lib/mail/messages';

const settings: MessageSettings = {
  appName: 'Example <Beta>',
  appUrl: 'https://example.com/app',
  paths: { resetPassword: '/reset-password', verifyEmail: '/verify-email' },
  replyTo: null,
};

test.describe('mail messages', () => {
  test('links are APP_URL + path with the token in a token query parameter', () => {
    expect(linkWithToken('https://example.com/app', '/reset-password', 'abc_-123')).toBe('https://example.com/app/reset-password?token=abc_-123');
    expect(linkWithToken('http://localhost:3000', '/verify-email', 'a+b/c')).toBe('http://localhost:3000/verify-email?token=a%2Bb%2Fc');
  });

  test('the reset and verification messages carry their link in text and HTML, and say how long it lasts', () => {
    const reset = passwordResetMessage(settings, { token: 'tok123', expiresIn: 3600 });
    const link = 'https://example.com/app/reset-password?token=tok123';
    expect(reset.kind).toBe('password_reset');
    expect(reset.subject).toBe('Reset your password for Example <Beta>');
    expect(reset.text).toContain(link);
    expect(reset.html).toContain(`href="${link}"`);
    expect(reset.text).toContain('expires in 1 hour');
    expect(reset.text).toContain('If you did not ask for this, ignore this email');

    const verify = verifyEmailMessage(settings, { token: 'tok456', expiresIn: 2 * 86400 });
    expect(verify.kind).toBe('verify_email');
    expect(verify.text).toContain('https://example.com/app/verify-email?token=tok456');
    expect(verify.html).toContain('href="https://example.com/app/verify-email?token=tok456"');
    expect(verify.text).toContain('expires in 2 days');
  });

  test('every message says what to do if it was not you, in text and HTML, with HTML escaped', () => {
    const messages = [
      passwordResetMessage(settings, { token: 't', expiresIn: 1800 }),
      verifyEmailMessage(settings, { token: 't', expiresIn: 1800 }),
      passwordChangedMessage(settings),
      signupAttemptMessage(settings),
      accountDeletedMessage(settings),
      twoFactorEnabledMessage(settings),
      twoFactorDisabledMessage(settings),
      recoveryCodeUsedMessage(settings, { remaining: 9 }),
      recoveryCodesReplacedMessage(settings),
    ];
    expect(messages.map((m) => m.kind)).toEqual([
      'password_reset', 'verify_email', 'password_changed', 'signup_attempt', 'account_deleted',
      'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used', 'recovery_codes_replaced',
    ]);
    for (const message of messages) {
      expect(message.text, message.kind).toMatch(/If (you did not|it was not you)/);
      expect(message.html, message.kind).toMatch(/If (you did not|it was not you)/);
      expect(message.html, message.kind).toContain('Example &lt;Beta&gt;');
      expect(message.html, message.kind).not.toContain('<Beta>');
    }
  });

  test('the notices point at reply-to when replies reach someone, else at the service', () => {
    expect(passwordChangedMessage(settings).text).toContain('contact Example <Beta> right away');
    expect(accountDeletedMessage({ ...settings, replyTo: 'help@example.com' }).text).toContain('reply to this email right away');
  });

  test('durations read as people say them', () => {
    expect([60, 900, 3600, 7200, 86400, 90].map(describeDuration)).toEqual(['1 minute', '15 minutes', '1 hour', '2 hours', '1 day', '2 minutes']);
  });
});
