import { parseDatabaseUrl } from './database-url';
import type { Env } from './env';
import { SETTINGS, type SettingName, type Settings } from './settings';

/**
 * Settings for the command-line tools (scripts/, drizzle.config.ts), one at a time: a command needs
 * one or two of them, and must not fail on a setting it does not use. Parsed as SETTINGS declares them.
 */

/** One setting, parsed; throws its ConfigError. */
export function readSetting<N extends SettingName>(name: N, env: Env = process.env): Settings[N] {
  const raw = env[name];
  const { parse, unset } = SETTINGS[name] as unknown as { parse: (raw: string, name: string) => Settings[N]; unset: () => Settings[N] };
  return raw === undefined || raw.trim() === '' ? unset() : parse(raw, name);
}

/** DATABASE_URL, required: unset, it throws the ConfigError that says what to set. */
export function databaseUrl(env: Env = process.env): URL {
  return readSetting('DATABASE_URL', env) ?? parseDatabaseUrl(undefined, 'DATABASE_URL');
}

/**
 * Where migrations go: Neon's direct host (DATABASE_URL_UNPOOLED) when it is set, since schema changes
 * and their lock belong on a direct connection, not behind the pooler; else DATABASE_URL.
 */
export function migrationDatabaseUrl(env: Env = process.env): { name: 'DATABASE_URL_UNPOOLED' | 'DATABASE_URL'; url: URL } {
  const unpooled = readSetting('DATABASE_URL_UNPOOLED', env);
  return unpooled ? { name: 'DATABASE_URL_UNPOOLED', url: unpooled } : { name: 'DATABASE_URL', url: databaseUrl(env) };
}

/** Whether the variable holds anything, valid or not: `npm run dev` writes a secret only where none is. */
export function settingIsSet(name: SettingName, env: Env = process.env): boolean {
  return Boolean(env[name]?.trim());
}
