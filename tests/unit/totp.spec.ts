import { expect, test } from '@playwright/test';
import { randomBytes, randomUUID } from 'node:crypto';
import { TOTP } from 'otpauth';
import { serverModulesInProcess } from '../support/in-process';
import { matchingStep, newRecoveryCodes, newTotpSecret, openSecret, recoveryCodeHash, sealSecret } from '../../lib/auth/crypto/totp';

// The crypto of two-factor in-process: sealing secrets, the code check's window, recovery codes.
test.describe('lib/auth/crypto/totp.ts', () => {
  serverModulesInProcess(test, () => ({ TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url') }));

  test('a sealed secret opens only for its account, untampered', () => {
    const secret = newTotpSecret();
    const owner = randomUUID();
    const sealed = sealSecret(secret, owner);
    expect(sealed).not.toContain(secret);
    expect(sealSecret(secret, owner)).not.toBe(sealed); // a fresh IV each time
    expect(openSecret(sealed, owner)).toBe(secret);
    expect(openSecret(sealed, randomUUID())).toBeUndefined();
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0]! ^= 1;
    expect(openSecret(`${v}.${iv}.${flipped.toString('base64url')}`, owner)).toBeUndefined();
    expect(openSecret('garbage', owner)).toBeUndefined();
  });

  test('a code matches its step, one step either side, and nothing further', () => {
    const secret = newTotpSecret();
    const now = Date.now();
    const step = Math.floor(now / 30_000);
    const code = (steps: number) => new TOTP({ secret }).generate({ timestamp: now + steps * 30_000 });
    expect(matchingStep(secret, code(0), now)).toBe(step);
    expect(matchingStep(secret, code(-1), now)).toBe(step - 1);
    expect(matchingStep(secret, code(1), now)).toBe(step + 1);
    for (const steps of [-3, -2, 2, 3]) if (![code(-1), code(0), code(1)].includes(code(steps))) expect(matchingStep(secret, code(steps), now)).toBeUndefined();
  });

  test('recovery codes: ten, distinct, xxxxx-xxxxx, compared without case, spaces or dashes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/);
    expect(recoveryCodeHash(codes[0]!.toUpperCase().replace('-', ' '))).toBe(recoveryCodeHash(codes[0]!));
    expect(recoveryCodeHash(codes[0]!)).not.toBe(recoveryCodeHash(codes[1]!));
  });
});
