import { execFile } from 'node:child_process';

/**
 * Runs `npm run --silent <script> -- <args>` with extra env (and `input` piped to its standard input);
 * resolves with its exit code and output.
 */
export function runNpmScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('npm', ['run', '--silent', script, '--', ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
