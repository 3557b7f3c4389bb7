import bcrypt from 'bcryptjs';
import { bcryptCompare, bcryptHash } from './bcrypt-pool';
import { authConfig } from './config';

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

export async function hashPassword(password: string): Promise<string> {
  return bcryptHash(password, authConfig().bcryptCost);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (passwordBytes(password) > MAX_PASSWORD_BYTES) {
    // Still spend the time a compare takes, so that the answer's timing says nothing.
    await bcryptCompare(password.slice(0, 1), hash);
    return false;
  }
  return bcryptCompare(password, hash);
}

/** True when the hash was made at another cost than the configured one: rehash after a login. */
export function needsRehash(hash: string): boolean {
  return bcrypt.getRounds(hash) !== authConfig().bcryptCost;
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password at the configured cost. Login compares against it when the email is
 * unknown, so that an unknown email and a wrong password take the same time.
 */
export function dummyHash(): Promise<string> {
  return (dummy ??= bcryptHash(crypto.randomUUID(), authConfig().bcryptCost));
}
