import nextEnv from '@next/env';

/**
 * Loads .env, .env.local, .env.development(.local) the way `next dev` does (or the .production ones
 * when NODE_ENV=production), so that every command sees the same settings as the app. Variables already
 * in the environment win over the files.
 */
export function loadEnvFiles(): void {
  nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });
}
