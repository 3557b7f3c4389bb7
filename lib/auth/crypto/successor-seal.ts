import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The successor of a spent refresh token, kept so that a retry within REFRESH_REUSE_GRACE gets the same
 * successor back, but sealed with a key only the spent token's holder can derive: AES-256-GCM under
 * HKDF-SHA256(spent token). Only the spent token's hash is stored, so the database alone yields nothing.
 *
 * Format: base64url(nonce (12 bytes) | ciphertext | tag (16 bytes)).
 */

const LABEL = 'neon-next-auth refresh-token successor v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function keyOf(spentToken: string): Buffer {
  // The token is 256 random bits: HKDF is enough, a slow password KDF would add nothing.
  return Buffer.from(hkdfSync('sha256', Buffer.from(spentToken, 'utf8'), Buffer.alloc(0), LABEL, 32));
}

export function sealSuccessor(spentToken: string, successor: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(spentToken), nonce);
  const ciphertext = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** The successor, or undefined when `sealed` was not sealed under this token (or was altered). */
export function openSuccessor(spentToken: string, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= NONCE_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', keyOf(spentToken), bytes.subarray(0, NONCE_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
