import {
  calculateJwkThumbprint,
  decodeJwt,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import { secretKid } from '../../lib/auth/crypto/access-tokens';
import { expect, meStatus, registerAndLogin, test } from '../support/fixtures';
import { serverKid, signToken } from '../support/tokens';
import { serverEnv, startServer, type TestServer } from '../support/server';

const ISSUER = 'neon-next-auth';
const AUDIENCE = 'neon-next-auth-api';

/** A dedicated server signing with a private key: no JWT_SECRET at all, so it must not need one. */
function keyServer(privateKey: string, retired?: string): Promise<TestServer> {
  return startServer(serverEnv({ JWT_SECRET: undefined, JWT_PRIVATE_KEY: privateKey, JWT_RETIRED_PUBLIC_KEYS: retired }));
}

async function withServer<T>(server: TestServer, work: (server: TestServer) => Promise<T>): Promise<T> {
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

const verifyRemotely = (server: TestServer, token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), { issuer: ISSUER, audience: AUDIENCE });

test.describe('HS256 (the default)', () => {
  test('publishes an empty JWK Set, cacheable but never sniffed', async ({ api }) => {
    const response = await api.get('/.well-known/jwks.json');
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ keys: [] });
    expect(response.headers()['cache-control']).toBe('public, max-age=300');
    expect(response.headers()['x-content-type-options']).toBe('nosniff');
  });

  test('tokens are HS256 with the kid of the secret that signed them', async ({ account }) => {
    const kid = secretKid(new TextEncoder().encode(process.env.TEST_JWT_SECRET));
    expect(decodeProtectedHeader(account.token)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid });
  });
});

test.describe('HS256 rotation with JWT_PREVIOUS_SECRETS', () => {
  test('a token of the previous secret verifies until the secret is removed; its kid with another signature never does', async ({ account }) => {
    // The shared test server signs with OLD; the servers here share its database, so its sessions are live.
    const OLD = process.env.TEST_JWT_SECRET!;
    const NEW = 'the new secret, at least thirty-two bytes long';
    const oldToken = account.token;
    expect(decodeProtectedHeader(oldToken).kid).toBe(serverKid(OLD));
    const claims = { sub: account.id, sid: decodeJwt(oldToken).sid };

    await withServer(await startServer(serverEnv({ JWT_SECRET: NEW, JWT_PREVIOUS_SECRETS: OLD })), async (server) => {
      expect(await meStatus(server.url, oldToken)).toBe(200);
      // New tokens are signed with the new secret, under its kid (and the old server does not know it).
      const fresh = await registerAndLogin(server.url);
      expect(decodeProtectedHeader(fresh.token)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: serverKid(NEW) });
      expect(await meStatus(server.url, fresh.token)).toBe(200);
      expect(await meStatus(process.env.TEST_BASE_URL!, fresh.token)).toBe(401);
      // The old kid picks the old secret, and only its signature passes: not another secret's, not the new one's.
      expect(await meStatus(server.url, await signToken(claims, { secret: OLD }))).toBe(200);
      expect(await meStatus(server.url, await signToken(claims, { secret: 'yet another secret of thirty-two bytes', kid: serverKid(OLD) }))).toBe(401);
      expect(await meStatus(server.url, await signToken(claims, { secret: NEW, kid: serverKid(OLD) }))).toBe(401);
    });

    // The rotation is over: the previous secret is removed, and its tokens with it.
    await withServer(await startServer(serverEnv({ JWT_SECRET: NEW })), async (server) => {
      const response = await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${oldToken}` } });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'invalid_token', message: 'The access token is invalid.' });
    });
  });
});

test.describe('asymmetric signing with JWT_PRIVATE_KEY', () => {
  test('Ed25519 PEM: EdDSA tokens with a kid that verify against the served JWKS; HS256 tokens are refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    await withServer(await keyServer(await exportPKCS8(privateKey)), async (server) => {
      const account = await registerAndLogin(server.url);
      expect(decodeProtectedHeader(account.token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid });

      const jwks = await fetch(`${server.url}/.well-known/jwks.json`);
      expect(await jwks.json()).toEqual({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] });
      const { payload } = await verifyRemotely(server, account.token);
      expect(payload.sub).toBe(account.id);
      expect(await meStatus(server.url, account.token)).toBe(200);

      // A well-formed HS256 token with the old shared secret: refused (only the key's algorithm counts).
      const claims = { sub: account.id, sid: decodeJwt(account.token).sid };
      const hs256 = await signToken(claims);
      expect(await meStatus(process.env.TEST_BASE_URL!, hs256)).toBe(200); // the HS256 server takes it ...
      expect(await meStatus(server.url, hs256)).toBe(401); // ... this one does not.
      // Nor one with the right kid but HS256 keyed with the public key (the classic confusion attack).
      const confused = await signToken(claims, { kid, secret: new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey))) });
      expect(await meStatus(server.url, confused)).toBe(401);
    });
  });

  test('rotation: a retired key still verifies until it is removed from JWT_RETIRED_PUBLIC_KEYS', async () => {
    const old = await generateKeyPair('EdDSA', { extractable: true });
    const oldPublicJwk = await exportJWK(old.publicKey);
    const oldToken = await withServer(await keyServer(await exportPKCS8(old.privateKey)), async (server) => {
      return (await registerAndLogin(server.url)).token;
    });

    // The new key is a P-256 private JWK with its own kid; the old public key is retired.
    const next = await generateKeyPair('ES256', { extractable: true });
    const nextJwk = JSON.stringify({ ...(await exportJWK(next.privateKey)), kid: 'key-2' });
    await withServer(await keyServer(nextJwk, JSON.stringify([oldPublicJwk])), async (server) => {
      expect(await meStatus(server.url, oldToken)).toBe(200);
      await verifyRemotely(server, oldToken);
      const fresh = await registerAndLogin(server.url);
      expect(decodeProtectedHeader(fresh.token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'key-2' });
      await verifyRemotely(server, fresh.token);
      const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; d?: string }[] };
      expect(keys.map((k) => k.kid)).toEqual(['key-2', await calculateJwkThumbprint(oldPublicJwk)]);
      expect(keys.every((k) => k.d === undefined)).toBe(true); // never the private part
    });

    // Retired key removed: the old token fails at the server and for remote verifiers.
    await withServer(await keyServer(nextJwk), async (server) => {
      expect(await meStatus(server.url, oldToken)).toBe(401);
      await expect(verifyRemotely(server, oldToken)).rejects.toThrow(/no applicable key/i);
    });
  });
});
