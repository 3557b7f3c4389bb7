import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * For `npm run dev`: appends a fresh random 32-byte secret, base64url, as `name` to <dir>/.env.local
 * (git-ignored, mode 0600) and sets it for this process.
 */
function writeDevSecret(dir: string, name: string, why: string): void {
  const secret = randomBytes(32).toString('base64url');
  const file = path.join(dir, '.env.local');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const separator = existing && !existing.endsWith('\n') ? '\n' : '';
  fs.writeFileSync(file, `${existing}${separator}# Made by npm run dev: ${why}.\n${name}=${secret}\n`);
  fs.chmodSync(file, 0o600); // it holds a secret now, whoever made the file (a mode given to writeFileSync applies only to new files)
  process.env[name] = secret;
}

/**
 * When no JWT_SECRET is set (and no JWT_PRIVATE_KEY signs instead), writes one to .env.local.
 * Returns whether it wrote one.
 */
export function ensureJwtSecret(dir = process.cwd()): boolean {
  if (process.env.JWT_SECRET || process.env.JWT_PRIVATE_KEY) return false;
  writeDevSecret(dir, 'JWT_SECRET', 'signs access tokens in development');
  return true;
}

/** When no TOTP_ENCRYPTION_KEY is set, writes one to .env.local. Returns whether it wrote one. */
export function ensureTotpKey(dir = process.cwd()): boolean {
  if (process.env.TOTP_ENCRYPTION_KEY) return false;
  writeDevSecret(dir, 'TOTP_ENCRYPTION_KEY', 'encrypts two-factor secrets in development');
  return true;
}
