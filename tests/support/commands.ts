import { execFile } from 'node:child_process';
import path from 'node:path';

/** Runs one of the project's scripts (`tsx scripts/<name>.ts`) against the test database. */
export function runScript(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join('node_modules', 'tsx', 'dist', 'cli.mjs'), path.join('scripts', `${name}.ts`), ...args],
      { env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL, __NEXT_PROCESSED_ENV: 'true', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
