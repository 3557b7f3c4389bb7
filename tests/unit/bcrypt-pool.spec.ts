import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { expect, test } from '@playwright/test';
import { bcryptCompare, bcryptHash, bcryptMode } from '../../lib/auth/bcrypt-pool';

// Hashing runs on worker threads (lib/auth/bcrypt-pool.ts). These check that the hashes are the
// standard ones and that the in-thread fallback gives the same answers; timings are the benchmark's job.

test('hashes on worker threads are standard $2b$ bcrypt, interchangeable with bcryptjs in this thread', async () => {
  const hash = await bcryptHash('correct horse battery staple', 10);
  expect(bcryptMode()).toBe('workers');
  expect(hash).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
  expect(bcrypt.compareSync('correct horse battery staple', hash)).toBe(true);

  const made = bcrypt.hashSync('another password', 10);
  expect(await bcryptCompare('another password', made)).toBe(true);
  expect(await bcryptCompare('not the password', made)).toBe(false);
});

test('many at once: every job gets its own answer', async () => {
  const passwords = Array.from({ length: 6 }, (_, i) => `password number ${i}`);
  const hashes = await Promise.all(passwords.map((p) => bcryptHash(p, 10)));
  const checks = await Promise.all(hashes.map((h, i) => bcryptCompare(passwords[(i + 1) % passwords.length]!, h)));
  expect(checks).toEqual(passwords.map(() => false));
  expect(await Promise.all(hashes.map((h, i) => bcryptCompare(passwords[i]!, h)))).toEqual(passwords.map(() => true));
});

test('falls back to this thread when a worker cannot load bcryptjs, with the same answers', () => {
  // From a folder with no node_modules the inline worker cannot require bcryptjs and fails to start.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bcrypt-fallback-'));
  const script = path.join(dir, 'check.mts');
  fs.writeFileSync(
    script,
    `import { bcryptCompare, bcryptHash, bcryptMode } from ${JSON.stringify(path.resolve('lib/auth/bcrypt-pool.ts'))};
     const hash = await bcryptHash('pw-fallback', 10);
     console.log(JSON.stringify({ mode: bcryptMode(), ok: await bcryptCompare('pw-fallback', hash), bad: await bcryptCompare('x', hash), hash }));`,
  );
  try {
    const run = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), script], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toContain('hashing on the main thread instead');
    const result = JSON.parse(run.stdout.trim());
    expect(result).toMatchObject({ mode: 'main-thread', ok: true, bad: false });
    expect(bcrypt.compareSync('pw-fallback', result.hash)).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
