// The worker thread behind bcrypt-pool.ts: one job at a time, answered in order. bcryptjs's sync API
// belongs here: blocking this thread is the point, the server's event loop runs on another.
// Plain JavaScript (.mjs) because tsx's TypeScript hooks do not reach worker threads on Node 20; the
// message shapes are BcryptJob and BcryptAnswer in bcrypt-pool.ts.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

function answer(job) {
  try {
    return { result: job.op === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

parentPort.on('message', (job) => parentPort.postMessage(answer(job)));
