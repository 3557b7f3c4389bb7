import { expect, test } from '@playwright/test';
import { firstRefreshToken, parseRefreshToken, successorOf } from '../../lib/auth/crypto/refresh-tokens';

test.describe('refresh tokens (lib/auth/crypto/refresh-tokens.ts)', () => {
  test('a successor keeps the family, takes the next generation and new random bytes', () => {
    const first = firstRefreshToken();
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{70}$/);
    expect(first.generation).toBe(0);
    const second = successorOf(first)!;
    expect(second).toMatchObject({ familyHash: first.familyHash, generation: 1 });
    expect(second.token).not.toBe(first.token);
    expect(parseRefreshToken(second.token)).toEqual(second);
    expect(firstRefreshToken().familyHash).not.toBe(first.familyHash);
  });

  test('only the exact length, in canonical base64url, parses', () => {
    const { token } = firstRefreshToken();
    expect(parseRefreshToken(token)).toBeDefined();
    // 'B' x 70 has non-zero spare bits in its last character: another spelling of some 52 bytes.
    for (const bad of [token.slice(1), `${token}A`, `${token.slice(0, -1)}=`, 'A'.repeat(43), '', '.'.repeat(70), 'B'.repeat(70)]) {
      expect(parseRefreshToken(bad), bad).toBeUndefined();
    }
    // A generation past the database column's range (2^31 - 1) is no token: never a query error.
    const bytes = Buffer.from(token, 'base64url');
    bytes.writeUInt32BE(0x8000_0000, 16);
    expect(parseRefreshToken(bytes.toString('base64url'))).toBeUndefined();
  });
});
