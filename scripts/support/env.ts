import * as nextEnv from '@next/env';

// @next/env is CommonJS: under Node's ESM loader its functions sit on `default`, under drizzle-kit's
// CommonJS bundling on the namespace itself.
const { loadEnvConfig } = ((nextEnv as { default?: typeof nextEnv }).default ?? nextEnv) as typeof nextEnv;

/**
 * Loads .env, .env.local, .env.development(.local) the way `next dev` does (or the .production ones
 * when NODE_ENV=production), so that every command sees the same settings as the app. Variables already
 * in the environment win over the files.
 */
export function loadEnvFiles(): void {
  loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });
}
