import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { openSuccessor, sealSuccessor } from '../../lib/auth/crypto/successor-seal';

const newRefreshToken = () => randomBytes(32).toString('base64url');

test.describe('sealing a spent refresh token\'s successor', () => {
  test('opens with the spent token, and with nothing else', () => {
    const spent = newRefreshToken();
    const successor = newRefreshToken();
    const sealed = sealSuccessor(spent, successor);
    expect(openSuccessor(spent, sealed)).toBe(successor);
    expect(openSuccessor(successor, sealed)).toBeUndefined();
    expect(openSuccessor(newRefreshToken(), sealed)).toBeUndefined();
  });

  test('is base64url of nonce, ciphertext and tag, with a fresh nonce each time', () => {
    const spent = newRefreshToken();
    const successor = newRefreshToken();
    const a = sealSuccessor(spent, successor);
    const b = sealSuccessor(spent, successor);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(12 + successor.length + 16);
    expect(a).not.toBe(b);
    expect(a).not.toContain(successor);
  });

  test('an altered or truncated seal does not open', () => {
    const spent = newRefreshToken();
    const sealed = Buffer.from(sealSuccessor(spent, newRefreshToken()), 'base64url');
    for (const index of [0, 20, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[index]! ^= 1;
      expect(openSuccessor(spent, altered.toString('base64url'))).toBeUndefined();
    }
    expect(openSuccessor(spent, sealed.subarray(0, 20).toString('base64url'))).toBeUndefined();
    expect(openSuccessor(spent, '')).toBeUndefined();
  });
});
