import { availableParallelism } from 'node:os';
import { ConfigError, type Env } from '../db/url';

export const MAX_BCRYPT_WORKERS = 64;

/**
 * BCRYPT_WORKERS: how many worker threads hash passwords. Unset or empty: one per core; 0: the main
 * thread. Pure (the environment is a parameter), to join the app's configuration module.
 */
export function readBcryptWorkers(env: Env, cores = availableParallelism()): number {
  const raw = env.BCRYPT_WORKERS?.trim();
  if (!raw) return Math.min(cores, MAX_BCRYPT_WORKERS);
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_BCRYPT_WORKERS) {
    throw new ConfigError(
      `BCRYPT_WORKERS must be a whole number from 0 to ${MAX_BCRYPT_WORKERS} (got "${env.BCRYPT_WORKERS}"): the number ` +
        'of threads that hash passwords. Leave it unset for one per core, or write 0 to hash on the main thread.',
    );
  }
  return Number(raw);
}

let cached: number | undefined;

/** BCRYPT_WORKERS from this process's environment, read once. */
export function bcryptWorkers(): number {
  return (cached ??= readBcryptWorkers(process.env));
}
