/**
 * scripts/neon-env.sh against a stand-in `npx` on PATH (no Neon account in tests): it writes both
 * connection strings or neither, and says which.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../support/fixtures';

const SCRIPT = path.join(process.cwd(), 'scripts', 'neon-env.sh');

/** A folder with .env.local and a fake npx that answers the pooled call, and the direct one if told to. */
function sandbox(directWorks: boolean): { dir: string; run: () => Promise<{ code: number; stderr: string; stdout: string }> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-env-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  const fake = `#!/bin/sh
case "$*" in
  *--yes*neonctl@5*--pooled*) echo 'postgresql://u:p@ep-x-pooler.example.neon.tech/db?sslmode=verify-full' ;;
  *--yes*neonctl@5*) ${directWorks ? "echo 'postgresql://u:p@ep-x.example.neon.tech/db?sslmode=verify-full'" : "echo 'ERROR: api failed' >&2; exit 1"} ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;
  fs.writeFileSync(path.join(dir, 'bin', 'npx'), fake, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, '.env.local'), 'KEEP=me\nDATABASE_URL=old\n');
  const env = { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` };
  const run = () =>
    new Promise<{ code: number; stderr: string; stdout: string }>((resolve) =>
      execFile('sh', [SCRIPT], { cwd: dir, env }, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr })),
    );
  return { dir, run };
}

test('when the direct connection string cannot be had, .env.local is left exactly as it was, and it says so', async () => {
  const { dir, run } = sandbox(false);
  const result = await run();
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('not the direct one');
  expect(result.stderr).toContain('.env.local is unchanged');
  expect(fs.readFileSync(path.join(dir, '.env.local'), 'utf8')).toBe('KEEP=me\nDATABASE_URL=old\n');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('when both answer, both are written, other lines kept, a JWT_SECRET added, the file private', async () => {
  const { dir, run } = sandbox(true);
  const result = await run();
  expect(result.code, result.stderr).toBe(0);
  const lines = fs.readFileSync(path.join(dir, '.env.local'), 'utf8').trim().split('\n');
  expect(lines).toContain('KEEP=me');
  expect(lines).toContain('DATABASE_URL=postgresql://u:p@ep-x-pooler.example.neon.tech/db?sslmode=verify-full');
  expect(lines).toContain('DATABASE_URL_UNPOOLED=postgresql://u:p@ep-x.example.neon.tech/db?sslmode=verify-full');
  expect(lines.filter((l) => l.startsWith('DATABASE_URL='))).toHaveLength(1);
  expect(lines.find((l) => l.startsWith('JWT_SECRET='))).toMatch(/^JWT_SECRET=[A-Za-z0-9_-]{43}$/);
  expect(fs.statSync(path.join(dir, '.env.local')).mode & 0o777).toBe(0o600);
  fs.rmSync(dir, { recursive: true, force: true });
});
