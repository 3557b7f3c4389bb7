/** Two-factor as its owner uses it: enrol, log in with a code or a recovery code, manage, turn off. */
import { TOTP, URI } from 'otpauth';
import { expect, test, withDb } from '../../support/fixtures';
import { forgotAndReadToken } from '../../support/links';
import { waitForMail } from '../../support/smtp';
import { claimsOf, enableTwoFactor, forgetLastStep, mfaToken, totpCode, wrongCode } from '../../support/two-factor';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('setup answers a secret, its otpauth URI (issuer, label the email, SHA1, 6 digits, 30 s) and a QR code; nothing changes until confirmed', async ({ api, account }) => {
  const setup = await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: account.password } });
  expect(setup.status()).toBe(200);
  const body = await setup.json();
  expect(Object.keys(body).sort()).toEqual(['otpauth_uri', 'qr_svg', 'secret']);
  expect(body.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, base32
  const totp = URI.parse(body.otpauth_uri) as TOTP;
  expect(totp).toBeInstanceOf(TOTP);
  expect({ issuer: totp.issuer, label: totp.label, algorithm: totp.algorithm, digits: totp.digits, period: totp.period, secret: totp.secret.base32 }).toEqual({
    issuer: 'neon-next-auth', // APP_NAME unset on the test server: the package's name
    label: account.email,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: body.secret,
  });
  expect(body.qr_svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);

  // Not on yet: the password alone still logs in, and the user says so.
  expect((await api.post('/auth/login', { data: { email: account.email, password: account.password } })).status()).toBe(200);
  expect((await (await api.get('/auth/me', { headers: bearer(account.token) })).json()).two_factor_enabled).toBe(false);
});

test('confirm turns it on with ten single-use recovery codes, mails the owner; the user says two_factor_enabled', async ({ api, account }) => {
  const { recoveryCodes } = await enableTwoFactor(api, account);
  expect(recoveryCodes).toHaveLength(10);
  expect(new Set(recoveryCodes).size).toBe(10);
  for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  expect((await (await api.get('/auth/me', { headers: bearer(account.token) })).json()).two_factor_enabled).toBe(true);
  expect((await waitForMail({ to: account.email, kind: 'two_factor_enabled' })).subject).toMatch(/Two-factor authentication is on/);
  // Stored only as hashes.
  const stored = await withDb(async (db) => (await db.query('select code_hash from recovery_codes where user_id = $1', [account.id])).rows);
  expect(stored).toHaveLength(10);
});

test('setup and confirm refuse a wrong password, a wrong code, a confirm with nothing to confirm', async ({ api, account }) => {
  const wrongPassword = await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: 'not the password' } });
  expect(wrongPassword.status()).toBe(403);
  expect((await wrongPassword.json()).error).toBe('incorrect_password');
  const nothing = await api.post('/auth/2fa/totp/confirm', { headers: bearer(account.token), data: { code: '123456' } });
  expect(nothing.status()).toBe(409);
  expect((await nothing.json()).error).toBe('no_pending_setup');
  const { secret } = await (await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: account.password } })).json();
  const wrong = await api.post('/auth/2fa/totp/confirm', { headers: bearer(account.token), data: { code: wrongCode(secret) } });
  expect(wrong.status()).toBe(403);
  expect((await wrong.json()).error).toBe('invalid_code');
  const malformed = await api.post('/auth/2fa/totp/confirm', { headers: bearer(account.token), data: { code: '12ab56' } });
  expect(malformed.status()).toBe(422);
  expect(Object.keys((await malformed.json()).fields)).toEqual(['code']);
  expect((await api.post('/auth/2fa/totp/confirm', { headers: bearer(account.token), data: { code: totpCode(secret) } })).status()).toBe(200);
});

test('a login with 2FA: 403 mfa_required with only an mfa_token, then a code gives the token pair with amr pwd+otp, kept across refresh', async ({ api, account }) => {
  const plain = await api.post('/auth/login', { data: { email: account.email, password: account.password } });
  expect(claimsOf((await plain.json()).access_token).amr).toEqual(['pwd']);
  const { secret } = await enableTwoFactor(api, account);

  const login = await api.post('/auth/login', { data: { email: account.email, password: account.password } });
  expect(login.status()).toBe(403);
  const body = await login.json();
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'mfa_token']);
  expect(body.error).toBe('mfa_required');
  expect(body.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // A wrong password is still a plain 401: the 403 tells only someone who knows the password.
  expect((await api.post('/auth/login', { data: { email: account.email, password: 'wrong password!' } })).status()).toBe(401);

  const done = await api.post('/auth/login/2fa', { data: { mfa_token: body.mfa_token, code: totpCode(secret, 1) } });
  expect(done.status()).toBe(200);
  const pair = await done.json();
  expect(Object.keys(pair).sort()).toEqual(['access_token', 'device_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type']);
  expect(claimsOf(pair.access_token).amr).toEqual(['pwd', 'otp']);
  const refreshed = await api.post('/auth/refresh', { data: { refresh_token: pair.refresh_token } });
  expect(claimsOf((await refreshed.json()).access_token).amr).toEqual(['pwd', 'otp']);
  expect((await api.get('/auth/me', { headers: bearer(pair.access_token) })).status()).toBe(200);
  // The OAuth2 form gets the same 403.
  const form = await api.post('/auth/login', { form: { grant_type: 'password', username: account.email, password: account.password } });
  expect(form.status()).toBe(403);
  expect((await form.json()).error).toBe('mfa_required');
});

test('a recovery code finishes a login once, and the owner is mailed with how many remain', async ({ api, account }) => {
  const { recoveryCodes } = await enableTwoFactor(api, account);
  const done = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), recovery_code: recoveryCodes[0] } });
  expect(done.status()).toBe(200);
  expect(claimsOf((await done.json()).access_token).amr).toEqual(['pwd', 'otp']);
  const mail = await waitForMail({ to: account.email, kind: 'recovery_code_used' });
  expect(mail.text).toContain('9 remain');
  const again = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), recovery_code: recoveryCodes[0] } });
  expect(again.status()).toBe(401);
  expect((await again.json()).error).toBe('invalid_code');
});

test('the second step needs exactly one of code and recovery_code (422 naming code)', async ({ api }) => {
  for (const data of [{ mfa_token: 'x' }, { mfa_token: 'x', code: '123456', recovery_code: 'abcde-fghjk' }]) {
    const answer = await api.post('/auth/login/2fa', { data });
    expect(answer.status()).toBe(422);
    expect(Object.keys((await answer.json()).fields)).toEqual(['code']);
  }
  const unknown = await api.post('/auth/login/2fa', { data: { mfa_token: 'not-a-token', code: '123456' } });
  expect(unknown.status()).toBe(401);
  expect((await unknown.json()).error).toBe('invalid_mfa_token');
});

test('setting up again while on needs the password and a current code; the old secret works until the new one is confirmed', async ({ api, account }) => {
  const { secret: old } = await enableTwoFactor(api, account);
  const noCode = await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: account.password } });
  expect(noCode.status()).toBe(422);
  expect(Object.keys((await noCode.json()).fields)).toEqual(['code']);
  const wrong = await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: account.password, code: wrongCode(old) } });
  expect(wrong.status()).toBe(403);
  expect((await wrong.json()).error).toBe('invalid_code');
  const again = await api.post('/auth/2fa/totp/setup', { headers: bearer(account.token), data: { password: account.password, code: totpCode(old, 1) } });
  expect(again.status()).toBe(200);
  const { secret: next } = await again.json();
  expect(next).not.toBe(old);

  await forgetLastStep(account.id);
  expect((await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: totpCode(old) } })).status()).toBe(200);
  expect((await api.post('/auth/2fa/totp/confirm', { headers: bearer(account.token), data: { code: totpCode(next) } })).status()).toBe(200);
  await forgetLastStep(account.id);
  const oldCode = await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: totpCode(old) } });
  expect(oldCode.status()).toBe(401);
  expect((await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), code: totpCode(next) } })).status()).toBe(200);
});

test('new recovery codes void the old ones and mail the owner; without 2FA there are none to make', async ({ api, account }) => {
  const off = await api.post('/auth/2fa/recovery-codes', { headers: bearer(account.token), data: { password: account.password } });
  expect(off.status()).toBe(409);
  expect((await off.json()).error).toBe('two_factor_not_enabled');
  const { recoveryCodes: old } = await enableTwoFactor(api, account);
  const wrong = await api.post('/auth/2fa/recovery-codes', { headers: bearer(account.token), data: { password: 'not the password' } });
  expect(wrong.status()).toBe(403);
  const made = await api.post('/auth/2fa/recovery-codes', { headers: bearer(account.token), data: { password: account.password } });
  expect(made.status()).toBe(200);
  const { recovery_codes: fresh } = await made.json();
  expect(fresh).toHaveLength(10);
  expect(fresh.filter((code: string) => old.includes(code))).toEqual([]);
  await waitForMail({ to: account.email, kind: 'recovery_codes_replaced' });
  expect((await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), recovery_code: old[0] } })).status()).toBe(401);
  expect((await api.post('/auth/login/2fa', { data: { mfa_token: await mfaToken(api, account.email, account.password), recovery_code: fresh[0] } })).status()).toBe(200);
});

test('turning it off needs the password and a code (or a recovery code); then the password alone logs in; the owner is mailed', async ({ api, account }) => {
  const { secret, recoveryCodes } = await enableTwoFactor(api, account);
  const wrongPassword = await api.delete('/auth/2fa/totp', { headers: bearer(account.token), data: { password: 'not the password', code: totpCode(secret, 1) } });
  expect(wrongPassword.status()).toBe(403);
  expect((await wrongPassword.json()).error).toBe('incorrect_password');
  const wrongCodeAnswer = await api.delete('/auth/2fa/totp', { headers: bearer(account.token), data: { password: account.password, code: wrongCode(secret) } });
  expect(wrongCodeAnswer.status()).toBe(403);
  expect((await wrongCodeAnswer.json()).error).toBe('invalid_code');
  const wrongRecovery = await api.delete('/auth/2fa/totp', { headers: bearer(account.token), data: { password: account.password, recovery_code: 'aaaaa-aaaaa' } });
  expect(wrongRecovery.status()).toBe(403);

  const off = await api.delete('/auth/2fa/totp', { headers: bearer(account.token), data: { password: account.password, recovery_code: recoveryCodes[2] } });
  expect(off.status()).toBe(204);
  await waitForMail({ to: account.email, kind: 'two_factor_disabled' });
  expect((await (await api.get('/auth/me', { headers: bearer(account.token) })).json()).two_factor_enabled).toBe(false);
  const login = await api.post('/auth/login', { data: { email: account.email, password: account.password } });
  expect(login.status()).toBe(200);
  expect(claimsOf((await login.json()).access_token).amr).toEqual(['pwd']);
  const rows = await withDb(async (db) => (await db.query('select count(*)::int as n from recovery_codes where user_id = $1', [account.id])).rows[0].n);
  expect(rows).toBe(0);
  const already = await api.delete('/auth/2fa/totp', { headers: bearer(account.token), data: { password: account.password, code: totpCode(secret) } });
  expect(already.status()).toBe(409);
});

test('a password reset by link leaves two-factor on', async ({ api, account }) => {
  const { secret } = await enableTwoFactor(api, account);
  const token = await forgotAndReadToken(api, account.email);
  expect((await api.post('/auth/password/reset', { data: { token, new_password: 'a reset passphrase' } })).status()).toBe(200);
  const login = await api.post('/auth/login', { data: { email: account.email, password: 'a reset passphrase' } });
  expect(login.status()).toBe(403);
  const { mfa_token } = await login.json();
  expect((await api.post('/auth/login/2fa', { data: { mfa_token, code: totpCode(secret, 1) } })).status()).toBe(200);
});
