import { generateKeyPairSync } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { readConfig } from '../../lib/config';

test.describe('signing key settings', () => {
  const base = { BCRYPT_COST: '10' };

  test('JWT_SECRET is not needed with a private key; the key decides the algorithm', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const config = readConfig({ ...base, JWT_PRIVATE_KEY: pem });
    expect(config.auth.signing?.alg).toBe('ES256');
  });

  test('a PEM stored on one line with literal \\n works', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const oneLine = (await exportPKCS8(privateKey)).trim().replace(/\n/g, '\\n');
    expect(readConfig({ ...base, JWT_PRIVATE_KEY: oneLine }).auth.signing?.alg).toBe('EdDSA');
  });

  test('unsupported or unreadable keys are refused with what to use', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => readConfig({ ...base, JWT_PRIVATE_KEY: rsa })).toThrow(/rsa key; only Ed25519 \(EdDSA\) and P-256 \(ES256\)/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => readConfig({ ...base, JWT_PRIVATE_KEY: p384 })).toThrow(/secp384r1 key/);
    expect(() => readConfig({ ...base, JWT_PRIVATE_KEY: 'not a key' })).toThrow(/JWT_PRIVATE_KEY is not a usable private key/);
    expect(() => readConfig({ ...base, JWT_PRIVATE_KEY: '{"kty":' })).toThrow(/not valid JSON/);
  });

  test('retired keys need a current key, and must not repeat it', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const retired = JSON.stringify({ keys: [await exportJWK(publicKey)] });
    expect(() => readConfig({ ...base, JWT_SECRET: 'x'.repeat(32), JWT_RETIRED_PUBLIC_KEYS: retired })).toThrow(
      /JWT_RETIRED_PUBLIC_KEYS is set but JWT_PRIVATE_KEY is not/,
    );
    const pem = await exportPKCS8(privateKey);
    expect(() => readConfig({ ...base, JWT_PRIVATE_KEY: pem, JWT_RETIRED_PUBLIC_KEYS: retired })).toThrow(
      /share the kid/,
    );
  });
});
