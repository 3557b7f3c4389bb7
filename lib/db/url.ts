/** Reading and checking DATABASE_URL, shared by the app, drizzle.config.ts and the scripts. */

/** Environment variables, as process.env or a plain object in tests. */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLocalHost(hostname: string): boolean {
  return LOCAL_HOSTS.has(hostname);
}

/** The database URL from the environment, checked, or a ConfigError that says what to do. */
export function databaseUrl(env: Env = process.env, name = 'DATABASE_URL'): URL {
  const raw = env[name]?.trim();
  if (!raw) {
    throw new ConfigError(
      `${name} is not set. Set it to your Neon connection string ` +
        '(`npx neonctl connection-string --pooled`), or run `npm run dev`, which starts a local ' +
        'database when it is unset.',
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `${name} is not a valid URL. Expected postgresql://USER:PASSWORD@HOST/DATABASE?sslmode=require`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgresql:// (found ${url.protocol}//).`);
  }
  if (!url.hostname || url.pathname.length < 2) {
    throw new ConfigError(
      `${name} must name a host and a database: postgresql://USER:PASSWORD@HOST/DATABASE`,
    );
  }
  return url;
}
