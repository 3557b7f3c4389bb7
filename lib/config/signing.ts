import type { Env } from './env';
import { SECRET_HELP } from './parsers';
import type { Settings } from './settings';
import { readAsymmetricKeys, type AsymmetricKeys } from './signing-keys';

/**
 * How access tokens are signed: HS256 with JWT_SECRET (the default: one service issues and verifies;
 * JWT_PREVIOUS_SECRETS still verify during a rotation), or EdDSA/ES256 with JWT_PRIVATE_KEY, whose
 * public half other services fetch from /.well-known/jwks.json.
 */
export type SigningConfig = { alg: 'HS256'; secret: Uint8Array; previousSecrets: Uint8Array[] } | AsymmetricKeys;

/** The signing setup the settings describe, or the problem that says what to set. */
export function signingOf(settings: Settings, env: Env): { signing?: SigningConfig; problem?: string } {
  // With a private key, JWT_SECRET is neither needed nor used: no HS256 token is issued or accepted.
  const keys = readAsymmetricKeys(env);
  if (keys) return { signing: keys };
  if (!settings.JWT_SECRET) {
    return env.JWT_SECRET?.trim() ? {} : { problem: `JWT_SECRET is not set. ${SECRET_HELP}` };
  }
  return { signing: { alg: 'HS256', secret: settings.JWT_SECRET, previousSecrets: settings.JWT_PREVIOUS_SECRETS } };
}

