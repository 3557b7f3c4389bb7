import { parseDatabaseUrl } from './database-url';
import type { Env } from './env';
import type { Settings } from './settings';

/**
 * What a serving process cannot do without, checked at a production start (lib/startup.ts) on top of
 * every setting being valid: a database and a signing key. Each problem says what to set.
 */
export function productionProblems(settings: Settings, signingProblem: string | undefined, env: Env): string[] {
  const problems: string[] = [];
  if (signingProblem) problems.push(signingProblem);
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
