import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { HttpError } from '../http/errors';

/**
 * bcrypt hash and compare on a small pool of worker threads.
 *
 * Why: bcryptjs is pure JavaScript, and its "async" API still runs on the main thread (in chunks of up to
 * 100 ms), so a burst of logins froze every other request; and it used one core only. In workers the
 * event loop stays free and every core hashes. The hashes are the same standard $2b$ bcrypt.
 *
 * How: the worker is a short inline script (`eval: true`), not a file, because this module is bundled
 * by Next.js: a worker file's path would not survive the build (or `output: 'standalone'`). The script
 * `require`s bcryptjs from node_modules at run time, which works because bcryptjs is in
 * serverExternalPackages (next.config.ts), so it is installed, traced and never bundled.
 *
 * Fallback: if no worker can start (no worker_threads, bcryptjs not resolvable from the worker, a
 * worker crashes), the work runs in this thread with bcryptjs as before: slower under load, same result.
 * BCRYPT_WORKERS sets the pool size (default: the number of cores; 0 = always in this thread).
 */

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const path = require('node:path');
let bcrypt;
for (const base of workerData.bases) {
  try { bcrypt = createRequire(path.join(base, 'noop.js'))('bcryptjs'); break; } catch {}
}
if (!bcrypt) throw new Error('bcryptjs cannot be loaded in a worker (looked from ' + workerData.bases.join(', ') + ')');
parentPort.on('message', ({ op, password, arg }) => {
  try {
    const result = op === 'hash' ? bcrypt.hashSync(password, arg) : bcrypt.compareSync(password, arg);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
parentPort.postMessage({ ready: true });
`;

type Job = {
  op: 'hash' | 'compare';
  password: string;
  arg: number | string; // cost for hash, the stored hash for compare
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
};

type Slot = { worker: Worker; job?: Job; ready: boolean };

/** Jobs that may wait per worker before new ones are refused (503), and at least this many in all. */
const QUEUE_PER_WORKER = 32;
const MIN_QUEUE = 100;

function inThread(job: Job): void {
  const work = job.op === 'hash' ? bcrypt.hash(job.password, job.arg as number) : bcrypt.compare(job.password, job.arg as string);
  (work as Promise<string | boolean>).then(job.resolve, job.reject);
}

class BcryptPool {
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private failed = false;

  constructor(size: number) {
    if (size < 1) {
      this.failed = true;
      return;
    }
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** 'workers' while at least one worker lives, else 'main-thread' (the fallback). */
  get mode(): 'workers' | 'main-thread' {
    return this.failed ? 'main-thread' : 'workers';
  }

  run(op: Job['op'], password: string, arg: Job['arg']): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      const job: Job = { op, password, arg, resolve, reject };
      if (this.failed) return inThread(job);
      // A bounded queue: past it, waiting would take longer than clients wait (10-15 s at cost 12 on
      // 2 cores), so answer 503 now rather than pile up work nobody will read.
      if (this.queue.length >= Math.max(MIN_QUEUE, QUEUE_PER_WORKER * this.slots.length)) {
        return reject(new HttpError(503, 'server_busy', 'Too many password checks in progress. Try again shortly.', { 'Retry-After': '2' }));
      }
      this.queue.push(job);
      this.pump();
    });
  }

  private spawn(): void {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bases: [process.cwd(), process.argv[1] ?? ''] } });
    } catch (error) {
      this.giveUpOn(undefined, error);
      return;
    }
    const slot: Slot = { worker, ready: false };
    this.slots.push(slot);
    worker.unref(); // an idle pool never keeps the process alive
    worker.on('message', (message: { ready?: true; result?: string | boolean; error?: string }) => {
      if (message.ready) {
        slot.ready = true;
      } else if (slot.job) {
        const job = slot.job;
        slot.job = undefined;
        worker.unref();
        if (message.error !== undefined) job.reject(new Error(message.error));
        else job.resolve(message.result as string | boolean);
      }
      this.pump();
    });
    worker.on('error', (error) => this.giveUpOn(slot, error));
    worker.on('exit', () => this.giveUpOn(slot, new Error('bcrypt worker exited')));
  }

  /** A worker failed: its job (if any) runs here; when no worker is left, everything does from now on. */
  private giveUpOn(slot: Slot | undefined, error: unknown): void {
    if (slot) {
      if (!this.slots.includes(slot)) return;
      this.slots = this.slots.filter((s) => s !== slot);
      if (slot.job) inThread(slot.job);
      slot.job = undefined;
    }
    if (this.slots.length === 0 && !this.failed) {
      this.failed = true;
      console.error(
        `bcrypt: worker threads unavailable (${error instanceof Error ? error.message : String(error)}); ` +
          'hashing on the main thread instead.',
      );
      for (const job of this.queue.splice(0)) inThread(job);
    }
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ op: job.op, password: job.password, arg: job.arg });
    }
  }
}

function poolSize(): number {
  const configured = process.env.BCRYPT_WORKERS?.trim();
  if (configured && /^\d+$/.test(configured)) return Number(configured);
  return availableParallelism();
}

// One pool per process, started on first use and kept on globalThis so that `next dev` reloading this
// module does not start a new pool each time.
const holder = globalThis as typeof globalThis & { __bcryptPool?: BcryptPool };

function pool(): BcryptPool {
  return (holder.__bcryptPool ??= new BcryptPool(poolSize()));
}

export function bcryptHash(password: string, cost: number): Promise<string> {
  return pool().run('hash', password, cost) as Promise<string>;
}

export function bcryptCompare(password: string, hash: string): Promise<boolean> {
  return pool().run('compare', password, hash) as Promise<boolean>;
}

/** Where hashing runs now: 'workers', or 'main-thread' when BCRYPT_WORKERS=0 or workers failed. */
export function bcryptMode(): 'workers' | 'main-thread' {
  return pool().mode;
}
