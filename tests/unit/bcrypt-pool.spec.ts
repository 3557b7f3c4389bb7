import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { expect, test } from '@playwright/test';
import { bcryptCompare, bcryptHash, bcryptMode, BcryptPool, bcryptStats } from '../../lib/auth/crypto/bcrypt-pool';
import { AuthFailure } from '../../lib/auth/errors';
import { ConfigError, readConfig } from '../../lib/config';
import { toErrorResponse } from '../../lib/http/error-response';

/** BCRYPT_WORKERS as lib/config/index.ts reads it, on a machine with this many cores. */
function readBcryptWorkers(env: Record<string, string>, cores: number): number {
  const real = os.availableParallelism;
  Object.defineProperty(os, 'availableParallelism', { value: () => cores, configurable: true });
  try {
    return readConfig(env).passwords.bcryptWorkers;
  } finally {
    Object.defineProperty(os, 'availableParallelism', { value: real, configurable: true });
  }
}

// Hashing runs on worker threads (lib/auth/crypto/bcrypt-pool.ts, lib/auth/crypto/bcrypt-worker.mjs). These check that
// the hashes are the standard ones, that the main-thread fallback gives the same answers, and that both
// refuse work past a bounded queue; timings are the benchmark's job.

const QUICK = bcrypt.hashSync('quick password', 4); // cost 4: a compare takes about a millisecond

/** Starts `jobs` compares at once; the answers in order, or 'busy' for each refused one. */
async function burst(pool: BcryptPool, jobs: number, password = 'quick password'): Promise<(boolean | 'busy')[]> {
  const settled = await Promise.allSettled(Array.from({ length: jobs }, () => pool.run({ op: 'compare', password, hash: QUICK })));
  return settled.map((outcome) => {
    if (outcome.status === 'fulfilled') return outcome.value as boolean;
    expect(outcome.reason).toBeInstanceOf(AuthFailure);
    expect(outcome.reason).toMatchObject({ kind: 'server_busy', retryAfter: 2 });
    return 'busy';
  });
}

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

test('bcryptStats counts the hashes and compares this process has done, right or wrong password', async () => {
  const before = bcryptStats();
  const hash = await bcryptHash('counted password', 4);
  await bcryptCompare('counted password', hash);
  await bcryptCompare('wrong password', hash);
  expect(bcryptStats()).toEqual({ hashes: before.hashes + 1, compares: before.compares + 2 });
});

test('the main-thread fallback (BCRYPT_WORKERS=0) has a bounded queue: past it, server_busy, and no compare is counted', async () => {
  // One job runs, three wait, the last two are refused.
  const pool = new BcryptPool({ workers: 0, queueLimit: 3 });
  expect(pool.mode).toBe('main-thread');
  expect(await burst(pool, 6)).toEqual([true, true, true, true, 'busy', 'busy']);
  expect(pool.stats).toEqual({ hashes: 0, compares: 4 });
  // Once the queue has drained, work is accepted again.
  expect(await burst(pool, 2, 'wrong password')).toEqual([false, false]);
});

test("the workers' queue is bounded the same way", async () => {
  const pool = new BcryptPool({ workers: 1, queueLimit: 2 });
  expect(pool.mode).toBe('workers');
  expect(await burst(pool, 5)).toEqual([true, true, true, 'busy', 'busy']);
  expect(pool.stats).toEqual({ hashes: 0, compares: 3 });
});

test('a refusal reaches the client as 503 server_busy with Retry-After', async () => {
  const refusal = await new BcryptPool({ workers: 0, queueLimit: 0 }).run({ op: 'compare', password: 'x', hash: QUICK }).catch((error: unknown) => error);
  const response = toErrorResponse(refusal, new Request('http://x/auth/login', { method: 'POST' }));
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('2');
  expect(await response.json()).toEqual({ error: 'server_busy', message: 'Too many password checks in progress. Try again shortly.' });
});

test('when no worker can start, the main thread takes over with the same answers and the same queue', async () => {
  const pool = new BcryptPool({
    workers: 2,
    queueLimit: 2,
    startWorker: () => new Worker('throw new Error("no bcrypt here")', { eval: true }),
  });
  // Jobs sent before the workers failed are not lost: they run on the main thread.
  expect(await burst(pool, 5)).toEqual([true, true, true, true, 'busy']);
  expect(pool.mode).toBe('main-thread');
  const hash = (await pool.run({ op: 'hash', password: 'fallback password', cost: 4 })) as string;
  expect(bcrypt.compareSync('fallback password', hash)).toBe(true);
  expect(await burst(pool, 4)).toEqual([true, true, true, 'busy']);
});

test('when workers cannot even be created, the pool works on the main thread from the start', async () => {
  const pool = new BcryptPool({
    workers: 2,
    startWorker: () => {
      throw new Error('no worker_threads here');
    },
  });
  expect(pool.mode).toBe('main-thread');
  expect(await burst(pool, 3)).toEqual([true, true, true]);
});

test('BCRYPT_WORKERS: unset means one per core, 0 the main thread; anything else is refused with a message naming it', () => {
  expect(readBcryptWorkers({}, 2)).toBe(2);
  expect(readBcryptWorkers({ BCRYPT_WORKERS: '' }, 8)).toBe(8);
  expect(readBcryptWorkers({ BCRYPT_WORKERS: '0' }, 2)).toBe(0);
  expect(readBcryptWorkers({ BCRYPT_WORKERS: ' 3 ' }, 2)).toBe(3);
  expect(readBcryptWorkers({ BCRYPT_WORKERS: '64' }, 2)).toBe(64);
  for (const wrong of ['two', '-1', '1.5', '65', '1e3']) {
    expect(() => readBcryptWorkers({ BCRYPT_WORKERS: wrong }, 2)).toThrow(ConfigError);
    expect(() => readBcryptWorkers({ BCRYPT_WORKERS: wrong }, 2)).toThrow(/^BCRYPT_WORKERS must be a whole number from 0 to 64 \(got "/);
  }
});

test('a tsx script, run from another folder, hashes on worker threads (or the main thread with BCRYPT_WORKERS=0), refuses past the queue, and exits by itself', () => {
  // As scripts/users.ts does through lib/auth/crypto/password.ts. A burst far past the queue's bound must be
  // partly refused; the process must end on its own once the work is done (idle workers hold nothing).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bcrypt-tsx-'));
  const script = path.join(dir, 'check.mts');
  fs.writeFileSync(
    script,
    `import { bcryptCompare, bcryptHash, bcryptMode, bcryptStats } from ${JSON.stringify(path.resolve('lib/auth/crypto/bcrypt-pool.ts'))};
     const hash = await bcryptHash('pw-script', 4);
     const burst = await Promise.allSettled(Array.from({ length: 500 }, () => bcryptCompare('pw-script', hash)));
     const answered = burst.filter((o) => o.status === 'fulfilled');
     const refused = burst.filter((o) => o.status === 'rejected' && o.reason.kind === 'server_busy');
     console.log(JSON.stringify({
       mode: bcryptMode(), hash, ok: await bcryptCompare('pw-script', hash), bad: await bcryptCompare('x', hash),
       allRight: answered.every((o) => o.value === true), answered: answered.length, refused: refused.length, stats: bcryptStats(),
     }));`,
  );
  try {
    for (const [workers, mode] of [[undefined, 'workers'], ['0', 'main-thread']] as const) {
      const run = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), script], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, BCRYPT_WORKERS: workers },
      });
      expect(run.signal, `${mode}: the script must exit by itself\n${run.stderr}`).toBeNull();
      expect(run.stderr).toBe('');
      const result = JSON.parse(run.stdout.trim());
      expect(result).toMatchObject({ mode, ok: true, bad: false, allRight: true });
      expect(result.refused).toBeGreaterThan(0);
      expect(result.answered + result.refused).toBe(500);
      expect(result.stats).toEqual({ hashes: 1, compares: result.answered + 2 });
      expect(bcrypt.compareSync('pw-script', result.hash)).toBe(true);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
