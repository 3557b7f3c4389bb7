import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { config, ConfigError } from '../../config';

/**
 * TOTP (RFC 6238) as every authenticator app reads it: SHA-1, 6 digits, 30-second steps, a 160-bit
 * secret (RFC 4226's recommendation). Codes are checked by `otpauth` (constant-time compare) within
 * one step either side, for clock drift; the step a code matched is returned so the caller can refuse
 * it a second time (lib/auth/store/two-factor.ts).
 */
const PERIOD = 30;
const DIGITS = 6;
const DRIFT_STEPS = 1;

function totpOf(base32Secret: string, label = 'user'): TOTP {
  return new TOTP({
    issuer: config().twoFactor.issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD,
    secret: Secret.fromBase32(base32Secret),
  });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** What an authenticator app scans: the otpauth:// URI (issuer APP_NAME or neon-next-auth, label the email) and its QR code as SVG. */
export async function enrolment(base32Secret: string, email: string): Promise<{ otpauthUri: string; qrSvg: string }> {
  const otpauthUri = totpOf(base32Secret, email).toString();
  const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { otpauthUri, qrSvg };
}

/** The time step a code matches (now, or one step either side), or undefined. */
export function matchingStep(base32Secret: string, code: string, now = Date.now()): number | undefined {
  const delta = totpOf(base32Secret).validate({ token: code, timestamp: now, window: DRIFT_STEPS });
  return delta === null ? undefined : TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
}

/*
 * Secrets at rest: AES-256-GCM under TOTP_ENCRYPTION_KEY, a fresh 96-bit IV each time, the user's id
 * as associated data (a ciphertext copied onto another account's row does not open). Stored as
 * `v1.<iv>.<ciphertext + tag>`, base64url.
 */
function encryptionKey(): Buffer {
  const { encryptionKey, problem } = config().twoFactor;
  if (!encryptionKey) throw new ConfigError(problem ?? 'TOTP_ENCRYPTION_KEY is not set.');
  return Buffer.from(encryptionKey);
}

export function sealSecret(base32Secret: string, userId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(), iv);
  cipher.setAAD(Buffer.from(userId));
  const sealed = Buffer.concat([cipher.update(base32Secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The secret, or undefined when the ciphertext does not open under this key for this user. */
export function openSecret(stored: string, userId: string): string | undefined {
  const [version, iv, sealed] = stored.split('.');
  if (version !== 'v1' || !iv || !sealed) return undefined;
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < 17) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(userId));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/*
 * Recovery codes: 10 per set, each 10 characters of a 32-letter alphabet without look-alikes (50
 * bits), shown as xxxxx-xxxxx. Input is compared without case, spaces or dashes.
 */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // 31 letters: no i, l, o, 0, 1
export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = '';
    // Rejection sampling: bytes past the last whole multiple of the alphabet would bias it.
    while (code.length < 10) {
      for (const byte of randomBytes(16)) {
        if (byte < 248 && code.length < 10) code += RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length];
      }
    }
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/** The stored form of a recovery code: SHA-256 of the normalised code (a fast hash: the codes are random). */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[\s-]/g, '')).digest('hex');
}
