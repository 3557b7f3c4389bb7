/**
 * Asymmetric signing keys from the environment (JWT_PRIVATE_KEY, JWT_RETIRED_PUBLIC_KEYS), parsed
 * synchronously with node:crypto so that a bad key stops the server at start with a clear message,
 * like a bad JWT_SECRET does. Turning them into jose keys (async) happens once, in lib/auth/crypto/access-tokens.ts.
 */
import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ConfigError } from './error';

export type AsymmetricAlg = 'EdDSA' | 'ES256';

/** A public key as published at /.well-known/jwks.json and used to verify. */
export type PublicJwk = { kty: 'OKP' | 'EC'; crv: 'Ed25519' | 'P-256'; x: string; y?: string; kid: string; alg: AsymmetricAlg; use: 'sig' };

export type AsymmetricKeys = {
  alg: AsymmetricAlg;
  kid: string;
  /** The private key as a JWK (with kid and alg), imported by jose for signing. */
  privateJwk: JsonWebKey & { kid: string; alg: AsymmetricAlg };
  /** The current public key first, then the retired ones: the keys a token may be verified with. */
  publicJwks: PublicJwk[];
};

const KEY_HELP =
  'Use an Ed25519 or P-256 private key as PKCS8 PEM or as a private JWK (JSON). Make one with: ' +
  'openssl genpkey -algorithm ed25519 (or: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).';

/** Ed25519 -> EdDSA, P-256 -> ES256; anything else is refused. */
function algorithmOf(key: KeyObject, name: string): AsymmetricAlg {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const what = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType ?? 'unknown';
  throw new ConfigError(`${name} is a ${what} key; only Ed25519 (EdDSA) and P-256 (ES256) are supported. ${KEY_HELP}`);
}

/** RFC 7638 thumbprint (SHA-256, base64url) of the public members: the default kid. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Hosts often store a PEM on one line with literal "\n"s; put the newlines back. */
const unescapePem = (text: string) => text.replace(/\\n/g, '\n');

type ParsedKey = { key: KeyObject; kid?: string; alg?: string };

function parseJwk(text: string, name: string): JsonWebKey {
  try {
    return JSON.parse(text) as JsonWebKey;
  } catch {
    throw new ConfigError(`${name} starts with "{" but is not valid JSON. ${KEY_HELP}`);
  }
}

function parsePrivate(text: string, name: string): ParsedKey {
  try {
    if (text.startsWith('{')) {
      const jwk = parseJwk(text, name);
      return { key: createPrivateKey({ key: jwk, format: 'jwk' }), kid: jwk.kid as string | undefined, alg: jwk.alg as string | undefined };
    }
    return { key: createPrivateKey(unescapePem(text)) };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${name} is not a usable private key (${(error as Error).message}). ${KEY_HELP}`);
  }
}

/** A retired key: a public (or private) JWK, or a PEM block. createPublicKey keeps only the public half. */
function parsePublic(input: string | JsonWebKey, name: string): ParsedKey {
  try {
    if (typeof input !== 'string') {
      return { key: createPublicKey({ key: input, format: 'jwk' }), kid: input.kid as string | undefined, alg: input.alg as string | undefined };
    }
    return { key: createPublicKey(input) };
  } catch (error) {
    throw new ConfigError(`${name} holds a key that cannot be read (${(error as Error).message}).`);
  }
}

function publicJwk({ key, kid, alg: declared }: ParsedKey, name: string): PublicJwk {
  const alg = algorithmOf(key, name);
  if (declared !== undefined && declared !== alg) {
    throw new ConfigError(`${name}: the JWK says alg "${declared}" but the key is for ${alg}.`);
  }
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const { x, y } = publicKey.export({ format: 'jwk' });
  // algorithmOf accepted only these two curves, so the key type and curve follow from the algorithm.
  const jwk = { kty: alg === 'EdDSA' ? 'OKP' : 'EC', crv: alg === 'EdDSA' ? 'Ed25519' : 'P-256', x: x!, ...(y ? { y } : {}) } as const;
  return { ...jwk, kid: kid ?? jwkThumbprint(jwk), alg, use: 'sig' };
}

/** JWT_RETIRED_PUBLIC_KEYS: a JSON array of JWKs, a JWK Set ({"keys": [...]}), one JWK, or PEM block(s). */
function splitRetired(text: string, name: string): (string | JsonWebKey)[] {
  if (text.startsWith('[') || text.startsWith('{')) {
    const parsed = parseJwk(text, name) as unknown;
    if (Array.isArray(parsed)) return parsed as JsonWebKey[];
    const set = parsed as { keys?: unknown };
    return Array.isArray(set.keys) ? (set.keys as JsonWebKey[]) : [parsed as JsonWebKey];
  }
  const blocks = unescapePem(text).match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g);
  if (!blocks) throw new ConfigError(`${name} must hold PEM public keys or JWKs (JSON).`);
  return blocks;
}

/** The asymmetric signing setup, or undefined when JWT_PRIVATE_KEY is unset (HS256 then). */
export function readAsymmetricKeys(env: Record<string, string | undefined>): AsymmetricKeys | undefined {
  const privateText = env.JWT_PRIVATE_KEY?.trim();
  const retiredText = env.JWT_RETIRED_PUBLIC_KEYS?.trim();
  if (!privateText) {
    if (retiredText) throw new ConfigError('JWT_RETIRED_PUBLIC_KEYS is set but JWT_PRIVATE_KEY is not: set both, or neither.');
    return undefined;
  }
  const current = parsePrivate(privateText, 'JWT_PRIVATE_KEY');
  const currentPublic = publicJwk(current, 'JWT_PRIVATE_KEY');
  const retired = retiredText
    ? splitRetired(retiredText, 'JWT_RETIRED_PUBLIC_KEYS').map((k) => publicJwk(parsePublic(k, 'JWT_RETIRED_PUBLIC_KEYS'), 'JWT_RETIRED_PUBLIC_KEYS'))
    : [];
  const publicJwks = [currentPublic, ...retired];
  const kids = publicJwks.map((k) => k.kid);
  const duplicate = kids.find((kid, i) => kids.indexOf(kid) !== i);
  if (duplicate) {
    throw new ConfigError(`Two signing keys share the kid "${duplicate}" (is the current key also listed as retired?).`);
  }
  const privateJwk = { ...current.key.export({ format: 'jwk' }), kid: currentPublic.kid, alg: currentPublic.alg };
  return { alg: currentPublic.alg, kid: currentPublic.kid, privateJwk, publicJwks };
}
