import { createHash, randomBytes } from 'node:crypto';

/**
 * The refresh token's format: base64url (70 characters) of 52 bytes:
 *   the session's family (16 random bytes, the same in every token of one session),
 *   the generation (uint32, big-endian: 0 for the login's token, one more at each refresh; at most
 *     2^31 - 1, the database column's range, which no session reaches at 60 refreshes a minute),
 *   32 random bytes.
 * The database keeps the family's SHA-256 (to find the session), the live generation and the live
 * token's SHA-256: a leaked table yields no token. The family is in no other place than the tokens, so
 * a token of an older generation with the right family can only come from a copy of a token the
 * session handed out: that is reuse, whenever it comes back (lib/auth/store/sessions.ts).
 */

const FAMILY_BYTES = 16;
const GENERATION_BYTES = 4;
const RANDOM_BYTES = 32;
const TOKEN_BYTES = FAMILY_BYTES + GENERATION_BYTES + RANDOM_BYTES;
const TOKEN = /^[A-Za-z0-9_-]{70}$/;
const LAST_GENERATION = 0x7fff_ffff;

export type RefreshToken = { token: string; familyHash: string; generation: number; hash: string };

export function sha256(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

function make(family: Buffer, generation: number): RefreshToken {
  const bytes = Buffer.alloc(TOKEN_BYTES);
  family.copy(bytes, 0);
  bytes.writeUInt32BE(generation, FAMILY_BYTES);
  randomBytes(RANDOM_BYTES).copy(bytes, FAMILY_BYTES + GENERATION_BYTES);
  const token = bytes.toString('base64url');
  return { token, familyHash: sha256(family), generation, hash: sha256(token) };
}

/** The first token of a new session: a new family, generation 0. */
export function firstRefreshToken(): RefreshToken {
  return make(randomBytes(FAMILY_BYTES), 0);
}

/** The token that replaces `spent`: its family, the next generation, new random bytes. */
export function successorOf(spent: RefreshToken): RefreshToken | undefined {
  if (spent.generation >= LAST_GENERATION) return undefined;
  return make(Buffer.from(spent.token, 'base64url').subarray(0, FAMILY_BYTES), spent.generation + 1);
}

/** The token's parts, or undefined for anything firstRefreshToken/successorOf cannot have made. */
export function parseRefreshToken(token: string): RefreshToken | undefined {
  if (!TOKEN.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  // base64url has spare bits in its last character: only the canonical spelling is a token.
  if (bytes.length !== TOKEN_BYTES || bytes.toString('base64url') !== token) return undefined;
  const generation = bytes.readUInt32BE(FAMILY_BYTES);
  if (generation > LAST_GENERATION) return undefined;
  return { token, familyHash: sha256(bytes.subarray(0, FAMILY_BYTES)), generation, hash: sha256(token) };
}
