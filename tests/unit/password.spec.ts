import { test, expect } from '@playwright/test';
import bcrypt from 'bcryptjs';
import { dummyHash } from '../../lib/auth/crypto/password';

test('there is a fixed dummy hash for every accepted BCRYPT_COST (10 to 15), at that cost', () => {
  for (let cost = 10; cost <= 15; cost++) {
    expect(dummyHash(cost)).toMatch(/^\$2b\$\d\d\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.getRounds(dummyHash(cost))).toBe(cost);
  }
});
