import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * For `npm run dev`: when no JWT_SECRET is set (and no JWT_PRIVATE_KEY signs instead), appends a fresh
 * random one to <dir>/.env.local (git-ignored, mode 0600) and sets it for this process. Returns
 * whether it wrote one.
 */
export function ensureJwtSecret(dir = process.cwd()): boolean {
  if (process.env.JWT_SECRET || process.env.JWT_PRIVATE_KEY) return false;
  const secret = randomBytes(32).toString('base64url');
  const file = path.join(dir, '.env.local');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const separator = existing && !existing.endsWith('\n') ? '\n' : '';
  fs.writeFileSync(file, `${existing}${separator}# Made by npm run dev: signs access tokens in development.\nJWT_SECRET=${secret}\n`);
  fs.chmodSync(file, 0o600); // it holds a secret now, whoever made the file (a mode given to writeFileSync applies only to new files)
  process.env.JWT_SECRET = secret;
  return true;
}
