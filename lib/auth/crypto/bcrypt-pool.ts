import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { config } from '../../config';
import { AuthFailure } from '../errors';

/**
 * bcrypt hash and compare on a small pool of worker threads (bcrypt-worker.mjs), behind one bounded queue.
 *
 * Why: bcryptjs is pure JavaScript, and its "async" API still runs on the main thread (in chunks of up to
 * 100 ms), so a burst of logins froze every other request; and it used one core only. In workers the
 * event loop stays free and every core hashes. The hashes are the same standard $2b$ bcrypt.
 *
 * The worker is a real module, started as `new Worker(new URL('./bcrypt-worker.mjs', import.meta.url))`:
 * Next.js's bundler (Turbopack) recognises that form and builds the file as a worker entry of its own,
 * which the standalone output traces like any other chunk; tsx and Node run the file as it is.
 *
 * Fallback: with BCRYPT_WORKERS=0, or once every worker has failed, the work runs in this thread with
 * bcryptjs's async API, one job at a time: slower under load, same results, same queue and same refusal.
 */

/** Jobs that may wait per worker before new ones are refused, and at least this many in all. */
const QUEUE_PER_WORKER = 32;
const MIN_QUEUE = 100;
/** Seconds a refused client is told to wait: a place in the queue frees within one job's time. */
const BUSY_RETRY_AFTER = 2;

/** What the pool sends a worker (bcrypt-worker.mjs), and what it answers. */
export type BcryptJob = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };
type BcryptAnswer = { result: string | boolean } | { error: string };
type Result = string | boolean;
type Pending = { job: BcryptJob; resolve: (value: Result) => void; reject: (error: Error) => void };
type WorkerSlot = { worker: Worker; current?: Pending };

/** Hashes and compares done (answered, right or wrong password), not counting refused or failed jobs. */
export type BcryptStats = { hashes: number; compares: number };

export type BcryptPoolOptions = {
  /** Worker threads to start; 0 runs everything in this thread. */
  workers: number;
  /** Jobs that may wait before new ones are refused (default: 32 per worker, at least 100). */
  queueLimit?: number;
  /** Starts one worker; tests pass one that fails. */
  startWorker?: () => Worker;
};

const startBcryptWorker = () => new Worker(new URL('./bcrypt-worker.mjs', import.meta.url), { name: 'bcrypt' });

function inThisThread(job: BcryptJob): Promise<Result> {
  return job.op === 'hash' ? bcrypt.hash(job.password, job.cost) : bcrypt.compare(job.password, job.hash);
}

export class BcryptPool {
  readonly stats: BcryptStats = { hashes: 0, compares: 0 };
  private readonly queue: Pending[] = [];
  private readonly queueLimit: number;
  private readonly startWorker: () => Worker;
  private workers: WorkerSlot[] = [];
  private onMainThread = false;
  private mainThreadBusy = false;

  constructor({ workers, queueLimit, startWorker = startBcryptWorker }: BcryptPoolOptions) {
    // A bounded queue, whichever thread does the work: past it, waiting would take longer than clients
    // wait (10-15 s at cost 12 on 2 cores), so refuse now rather than pile up work nobody will read.
    this.queueLimit = queueLimit ?? Math.max(MIN_QUEUE, QUEUE_PER_WORKER * workers);
    this.startWorker = startWorker;
    this.onMainThread = workers < 1;
    let failure: unknown;
    for (let i = 0; i < workers; i++) failure = this.spawn() ?? failure;
    if (this.workers.length === 0 && !this.onMainThread) this.fallBack(failure);
  }

  /** 'workers' while at least one worker lives, else 'main-thread' (the fallback). */
  get mode(): 'workers' | 'main-thread' {
    return this.onMainThread ? 'main-thread' : 'workers';
  }

  run(job: BcryptJob): Promise<Result> {
    if (this.queue.length >= this.queueLimit) return Promise.reject(new AuthFailure('server_busy', undefined, BUSY_RETRY_AFTER));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Hands waiting jobs to idle workers, or (fallback) the next one to this thread. */
  private pump(): void {
    if (this.onMainThread) {
      const next = this.mainThreadBusy ? undefined : this.queue.shift();
      if (next) void this.runHere(next);
      return;
    }
    for (const slot of this.workers) {
      if (this.queue.length === 0) return;
      if (slot.current) continue;
      const next = this.queue.shift()!;
      slot.current = next;
      slot.worker.ref(); // a job in flight keeps the process alive; an idle pool does not
      slot.worker.postMessage(next.job);
    }
  }

  private async runHere(pending: Pending): Promise<void> {
    this.mainThreadBusy = true;
    try {
      this.done(pending, await inThisThread(pending.job));
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.mainThreadBusy = false;
      this.pump();
    }
  }

  private done(pending: Pending, result: Result): void {
    if (pending.job.op === 'hash') this.stats.hashes++;
    else this.stats.compares++;
    pending.resolve(result);
  }

  /** Starts a worker; returns the error if it could not even be created. */
  private spawn(): unknown {
    let worker: Worker;
    try {
      worker = this.startWorker();
    } catch (error) {
      return error;
    }
    const slot: WorkerSlot = { worker };
    this.workers.push(slot);
    worker.on('message', (answer: BcryptAnswer) => {
      const pending = slot.current;
      slot.current = undefined;
      worker.unref();
      if (pending) {
        if ('error' in answer) pending.reject(new Error(`bcrypt: ${answer.error}`));
        else this.done(pending, answer.result);
      }
      this.pump();
    });
    worker.on('error', (error) => this.lose(slot, error));
    worker.on('exit', (code) => this.lose(slot, new Error(`bcrypt worker exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    return undefined;
  }

  /** A worker failed: its job goes back to the head of the queue; with no worker left, this thread works. */
  private lose(slot: WorkerSlot, error: unknown): void {
    if (!this.workers.includes(slot)) return; // 'error' is followed by 'exit'
    this.workers = this.workers.filter((s) => s !== slot);
    if (slot.current) this.queue.unshift(slot.current);
    if (this.workers.length === 0) this.fallBack(error);
    else this.pump();
  }

  private fallBack(error: unknown): void {
    this.onMainThread = true;
    console.error(
      `bcrypt: worker threads unavailable (${error instanceof Error ? error.message : String(error)}); ` +
        'hashing on the main thread instead.',
    );
    this.pump();
  }
}

// One pool per process, started on first use and kept on globalThis so that `next dev` reloading this
// module does not start a new pool each time.
const holder = globalThis as typeof globalThis & { __bcryptPool?: BcryptPool };

function pool(): BcryptPool {
  return (holder.__bcryptPool ??= new BcryptPool({ workers: config().passwords.bcryptWorkers }));
}

/** Throws AuthFailure('server_busy') when the queue is full. */
export function bcryptHash(password: string, cost: number): Promise<string> {
  return pool().run({ op: 'hash', password, cost }) as Promise<string>;
}

/** Throws AuthFailure('server_busy') when the queue is full. */
export function bcryptCompare(password: string, hash: string): Promise<boolean> {
  return pool().run({ op: 'compare', password, hash }) as Promise<boolean>;
}

/** Where hashing runs now: 'workers', or 'main-thread' when BCRYPT_WORKERS=0 or workers failed. */
export function bcryptMode(): 'workers' | 'main-thread' {
  return pool().mode;
}

/** Hashes and compares this process has done so far (a copy). */
export function bcryptStats(): BcryptStats {
  return { ...(holder.__bcryptPool?.stats ?? { hashes: 0, compares: 0 }) };
}
