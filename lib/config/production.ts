import { parseDatabaseUrl } from './database-url';
import type { Env } from './env';
import type { Settings } from './settings';

/**
 * What a serving process cannot do without, checked at a production start (lib/startup.ts) on top of
 * every setting being valid: a signing key, the two-factor secrets' key and a database. Each problem
 * says what to set.
 */
export function productionProblems(
  settings: Settings,
  missing: { signing?: string; totpKey?: string },
  env: Env,
): string[] {
  const problems: string[] = [];
  if (missing.signing) problems.push(missing.signing);
  if (missing.totpKey) problems.push(missing.totpKey);
  // A DATABASE_URL that is set but invalid has already been reported by its parser.
  if (!settings.DATABASE_URL && !env.DATABASE_URL?.trim()) {
    try {
      parseDatabaseUrl(undefined, 'DATABASE_URL');
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}
