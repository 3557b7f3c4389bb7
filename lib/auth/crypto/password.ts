import bcrypt from 'bcryptjs';
import { bcryptCompare, bcryptHash } from './bcrypt-pool';
import { config } from '../../config';

/**
 * bcrypt reads only the first 72 bytes of UTF-8. Registration refuses longer passwords (see
 * schemas.ts) and login treats them as wrong, so truncation can never let two passwords match.
 */
export const MAX_PASSWORD_BYTES = 72;

export function passwordBytes(password: string): number {
  return Buffer.byteLength(password, 'utf8');
}

/** The same form of a password whatever the keyboard made it: NFKC, as at registration. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

// Hash and compare run on worker threads (see bcrypt-pool.ts): the event loop stays free meanwhile.

/**
 * Password compares this process has done, by the cost of the hash compared (the pool counts the work,
 * bcryptStats(), but not its cost). Equal time for an unknown email rests on equal work: one compare at
 * BCRYPT_COST, as for a wrong password; the tests count it.
 */
const comparesAtCost: Record<number, number> = {};

export function compareCosts(): Record<number, number> {
  return { ...comparesAtCost };
}

function compare(password: string, hash: string): Promise<boolean> {
  const cost = bcrypt.getRounds(hash);
  comparesAtCost[cost] = (comparesAtCost[cost] ?? 0) + 1;
  return bcryptCompare(password, hash);
}

export async function hashPassword(password: string): Promise<string> {
  return bcryptHash(password, config().passwords.bcryptCost);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (passwordBytes(password) > MAX_PASSWORD_BYTES) {
    // Still spend the time a compare takes, so that the answer's timing says nothing.
    await compare(password.slice(0, 1), hash);
    return false;
  }
  return compare(password, hash);
}

/** True when the hash was made at another cost than the configured one: rehash after a login. */
export function needsRehash(hash: string): boolean {
  return bcrypt.getRounds(hash) !== config().passwords.bcryptCost;
}

/**
 * Fixed hashes of a random password nobody knows (it was thrown away), one per accepted cost. Login
 * compares against the one at BCRYPT_COST when the email is unknown, so that an unknown email and a
 * wrong password take the same time, from the first request on (nothing to compute first).
 */
const DUMMY_HASHES: Record<number, string> = {
  10: '$2b$10$SsA6LgxHgG6yt7O7jPPuZO0MH8INPOq8vRN1Oz/Kq4s05FlDJOalO',
  11: '$2b$11$IocEZffemf./iep9g1YmReFDFi45RHqurN2IipcB0fKhxN1Vgn4j6',
  12: '$2b$12$8.Ga1nXh7jvDYaptqskVTu5KUQUN9hNFJPUO40bvHV4Pa8D8gya9u',
  13: '$2b$13$mQddwg5kcc3o6q0.bMW6telqwQTikCMAb33HS3u/hUgmjl3ZLdtxq',
  14: '$2b$14$XA839uZlscoQnrUIEVMOw.45L4.t5Ieaubu/aF88KEz4XuPFP4U8q',
  15: '$2b$15$muEvs..piAVulRk.t2aFZur7l6TsVID.qkrH/b3FMtzm/EoQ3q/Xa',
};

export function dummyHash(cost = config().passwords.bcryptCost): string {
  return DUMMY_HASHES[cost]!;
}
