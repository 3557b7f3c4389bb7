/** Reading and checking a database URL, shared by lib/config/index.ts, drizzle.config.ts and the scripts. */
import { ConfigError } from './error';

type Env = Record<string, string | undefined>;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLocalHost(hostname: string): boolean {
  return LOCAL_HOSTS.has(hostname);
}

/** A database URL, checked, or a ConfigError naming the variable and saying what to do. */
export function parseDatabaseUrl(value: string | undefined, name: string): URL {
  const raw = value?.trim();
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

/** For the command-line tools: the URL in `env[name]` (DATABASE_URL, or DATABASE_URL_UNPOOLED for migrations). */
export function databaseUrl(env: Env = process.env, name = 'DATABASE_URL'): URL {
  return parseDatabaseUrl(env[name], name);
}
