/**
 * The configuration, as the rest of the app asks for it. Every environment variable the server reads is
 * declared once in settings.ts, parsed and checked there (read.ts assembles them into a Config), with a
 * default and a message per bad value that names the variable and says what to write. Nothing outside
 * lib/config reads process.env for a setting (the commands ask commands.ts), and lib/config imports
 * nothing else of lib/.
 * `.env.example` and the README's configuration table list exactly the names in SETTINGS
 * (tests/unit/config.spec.ts compares them).
 *
 * Read lazily (on first use, or at server start by instrumentation.ts), so that `next build` needs no
 * secret. A production start checks everything at once and lists every problem (lib/startup.ts).
 */
import { parseDatabaseUrl } from './database-url';
import { ConfigError } from './error';
import { readConfig, type Config } from './read';
import type { SigningConfig } from './signing';

export type { ClientAddressConfig } from './client-address';
export type { Env } from './env';
export { ConfigError } from './error';
export { parseDuration, parseLimit, type Limit } from './parsers';
export { readConfig, type Config } from './read';
export { SETTINGS } from './settings';
export type { SigningConfig } from './signing';

// Kept on globalThis: Next.js bundles instrumentation, proxy and each route separately, and they must
// all see one configuration.
const holder = globalThis as typeof globalThis & { __authConfig?: Config };

/** This process's configuration, read from process.env on first use. */
export function config(): Config {
  return (holder.__authConfig ??= readConfig(process.env));
}

/** The signing setup, or the ConfigError that says what to set. */
export function signingConfig(): SigningConfig {
  const { signing, signingProblem } = config().auth;
  if (!signing) throw new ConfigError(signingProblem ?? 'No signing key is configured.');
  return signing;
}

/** The database URL, or the ConfigError that says what to set. */
export function databaseUrlSetting(): URL {
  return config().database.url ?? parseDatabaseUrl(undefined, 'DATABASE_URL');
}
