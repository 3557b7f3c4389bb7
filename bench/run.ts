/**
 * npm run bench: the production build (`next start`) on the embedded PostgreSQL with a throwaway
 * database, measured with autocannon over loopback. Every phase is bounded in time; the whole run takes
 * about two minutes plus the build. Prints one table and writes it as JSON under bench/results/.
 * Timings are figures to read, never pass/fail tests.
 *
 *   BCRYPT_COST=12          cost the server hashes at (default 12, the product default)
 *   BENCH_DURATION=8        seconds per throughput phase (a, b, c; d and e run 1.5x that)
 *   BENCH_SKIP_BUILD=1      reuse the existing .next build
 *   BENCH_DB_PORT=...       PostgreSQL port for the bench cluster (default LOCAL_DB_PORT + 2, relay +1)
 *   BCRYPT_WORKERS=0        passed on to the server: hash on the main thread (to compare)
 *   BENCH_QUICK=1           only (a), (b), (c), printed, not written: for trying a change
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';
import bcrypt from 'bcryptjs';
import { startLocalDatabase } from '../scripts/local/local-db';
import { applyMigrations } from '../scripts/migrate';
import { run } from '../scripts/support/run';
import { freePort, productionEnv, startServer, type ChildServer } from '../scripts/testing/child-server';

const ROOT = process.cwd();
const NEXT_BIN = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
const CORES = os.availableParallelism();
const COST = Number(process.env.BCRYPT_COST ?? 12);
const DURATION = Number(process.env.BENCH_DURATION) || 8;
const CONNECTIONS = 50;
const PASSWORD = 'correct horse battery staple';
const log = (line: string) => console.error(`bench: ${line}`);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** autocannon with the status codes checked: a run that got the wrong answers measures nothing. */
async function load(options: Options, expectStatus: number): Promise<Result> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, timeout: 20, ...options });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const wrong = Object.keys(statuses).filter((code) => Number(code) !== expectStatus);
  if (wrong.length || result.errors || result.timeouts) {
    throw new Error(
      `${options.method ?? 'GET'} ${options.url}: expected only ${expectStatus}, got ${JSON.stringify(statuses)}, ` +
        `${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

/**
 * CPU time the server's main thread (the event loop) has used, in ms, from /proc (Linux; undefined
 * elsewhere). Divided by the requests served it says what a request costs, which, unlike requests/s,
 * does not depend much on what else the machine runs.
 */
async function mainThreadCpuMs(pid: number | undefined): Promise<number | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (14th and 15th fields)
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(process.env.CLK_TCK) || 100;

/** Runs a load and adds the server main thread's CPU time per completed request, in microseconds. */
async function measured(pid: number | undefined, work: () => Promise<Result>): Promise<Result & { cpuUs?: number }> {
  const before = await mainThreadCpuMs(pid);
  const result = await work();
  const after = await mainThreadCpuMs(pid);
  const cpuUs = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / result.requests.total;
  return Object.assign(result, { cpuUs });
}

/** Requests/s over the whole phase, and p99 latency in ms. */
const figures = (r: Result) => ({ rps: r.requests.total / r.duration, p99: r.latency.p99 });

function request(url: string, options: http.RequestOptions & { body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** (e): GET /auth/me at a fixed rate, latency from the moment each request was due (no coordinated omission). */
async function probe(url: string, token: string, ratePerSecond: number, seconds: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  for (let i = 0; i < ratePerSecond * seconds; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      new Promise<void>((resolve, reject) => {
        const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`probe: GET /auth/me answered ${res.statusCode}`));
            latencies.push(performance.now() - due);
            resolve();
          });
        });
        req.on('error', reject);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return latencies;
}

/** (f): spawn `next start`, poll until `path` answers 200; ms from spawn to that answer. */
async function coldStart(env: NodeJS.ProcessEnv, pathname: string, headers: Record<string, string> = {}): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    env,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = started + 30_000;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
      const answer = await request(`http://127.0.0.1:${port}${pathname}`, { headers }).catch(() => undefined);
      if (answer?.status === 200) return performance.now() - started;
      if (answer) throw new Error(`cold start: ${pathname} answered ${answer.status}: ${answer.body}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`cold start: no answer on ${pathname} within 30 s`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** One bcrypt compare at COST in this process (median of 5): the unit of the login limit. */
function compareMs(): number {
  const hash = bcrypt.hashSync(PASSWORD, COST);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    bcrypt.compareSync(PASSWORD, hash);
    times.push(performance.now() - t);
  }
  return median(times);
}

async function main(): Promise<void> {
  if (!Number.isInteger(COST) || COST < 10 || COST > 15) throw new Error(`BCRYPT_COST must be 10 to 15 (got ${COST})`);
  const loadBefore = os.loadavg();
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    log('next build ...');
    execFileSync(process.execPath, [NEXT_BIN, 'build'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
  }

  const cluster = await startLocalDatabase({
    dataDir: path.join(ROOT, '.data', 'bench-pg'),
    port: Number(process.env.BENCH_DB_PORT) || (Number(process.env.LOCAL_DB_PORT) || 54320) + 2,
    database: 'postgres',
    log,
  });
  const name = `auth_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = cluster.admin();
  await admin.connect();
  let server: ChildServer | undefined;
  try {
    await admin.query(`create database ${name}`);
    const databaseUrl = cluster.url.replace(/\/postgres$/, `/${name}`);
    await applyMigrations(new URL(databaseUrl));
    const env = productionEnv({
      DATABASE_URL: databaseUrl,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      BCRYPT_COST: String(COST),
      BCRYPT_WORKERS: process.env.BCRYPT_WORKERS,
      RATE_LIMIT: 'off',
      SMTP_URL: 'off', // nothing measured sends mail
    });
    server = await startServer(env, { waitFor: '/' });
    const base = server.url;
    log(`next start on ${base}, database ${name}, BCRYPT_COST=${COST}, ${CORES} cores`);

    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const json = { 'content-type': 'application/json' };
    const credentials = JSON.stringify({ email, password: PASSWORD });
    const registered = await request(`${base}/auth/register`, { method: 'POST', headers: json, body: credentials });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.body}`);
    const login = await request(`${base}/auth/login`, { method: 'POST', headers: json, body: credentials });
    if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.body}`);
    const token = (JSON.parse(login.body) as { access_token: string }).access_token;
    const bearer = { authorization: `Bearer ${token}` };
    const badBearer = { authorization: `Bearer ${token.slice(0, -4)}AAAA` };

    log('warm-up ...');
    await load({ url: `${base}/`, duration: 3 }, 200);
    await load({ url: `${base}/auth/me`, headers: bearer, duration: 3 }, 200);
    await load({ url: `${base}/auth/me`, headers: badBearer, duration: 2 }, 401);

    // (a), (b), (c) interleaved over two rounds, so that a burst of other work on the machine hits all three.
    const pid = server.process.pid;
    const rounds: Record<'a' | 'b' | 'c', (Result & { cpuUs?: number })[]> = { a: [], b: [], c: [] };
    for (let i = 0; i < 2; i++) {
      log(`round ${i + 1}/2: (a) GET /, (b) GET /auth/me, (c) bad token, ${DURATION} s each, ${CONNECTIONS} connections`);
      rounds.a.push(await measured(pid, () => load({ url: `${base}/` }, 200)));
      rounds.b.push(await measured(pid, () => load({ url: `${base}/auth/me`, headers: bearer }, 200)));
      rounds.c.push(await measured(pid, () => load({ url: `${base}/auth/me`, headers: badBearer }, 401)));
    }
    const pooled = (results: (Result & { cpuUs?: number })[]) => ({
      rps: results.reduce((sum, r) => sum + figures(r).rps, 0) / results.length,
      p99: Math.max(...results.map((r) => r.latency.p99)),
      cpuUs: results.every((r) => r.cpuUs !== undefined)
        ? results.reduce((sum, r) => sum + r.cpuUs!, 0) / results.length
        : undefined,
    });
    const cpu = (x: { cpuUs?: number }) => (x.cpuUs === undefined ? 'n/a' : `${round(x.cpuUs)} us`);
    const a = pooled(rounds.a);
    const b = pooled(rounds.b);
    const c = pooled(rounds.c);

    if (process.env.BENCH_QUICK === '1') {
      console.log(`(a) ${round(a.rps)} req/s p99 ${a.p99} ms cpu ${cpu(a)}; (b) ${round(b.rps)} req/s p99 ${b.p99} ms cpu ${cpu(b)}; ` +
        `(c) ${round(c.rps)} req/s p99 ${c.p99} ms cpu ${cpu(c)}; (b)/(a) ${round(b.rps / a.rps, 2)}`);
      return;
    }

    log(`bcrypt compare at cost ${COST} in this process ...`);
    const compare = compareMs();
    const limit = CORES / (compare / 1000);

    const loginLoad: Options = { url: `${base}/auth/login`, method: 'POST', headers: json, body: credentials };
    const loginSeconds = Math.round(DURATION * 1.5);
    log(`(d) logins, ${2 * CORES} connections, ${loginSeconds} s ...`);
    const d = await load({ ...loginLoad, connections: 2 * CORES, duration: loginSeconds }, 200);
    const loginsPerSecond = d['2xx'] / d.duration;

    log(`(e) GET /auth/me at 20/s for ${loginSeconds} s while 20 logins run ...`);
    const logins = load({ ...loginLoad, connections: 20, duration: loginSeconds + 2 }, 200);
    await new Promise((r) => setTimeout(r, 1000)); // let the 20 logins fill the queue first
    const probeLatencies = await probe(`${base}/auth/me`, token, 20, loginSeconds);
    const duringLogins = await logins;
    const e = { p99: percentile(probeLatencies, 99), p50: percentile(probeLatencies, 50), max: Math.max(...probeLatencies) };

    const output = server.output();
    const hashing =
      process.env.BCRYPT_WORKERS === '0'
        ? 'main thread (BCRYPT_WORKERS=0)'
        : output.includes('worker threads unavailable')
          ? 'main thread (workers failed)'
          : `worker threads (${Number(process.env.BCRYPT_WORKERS) || CORES})`;
    await server.stop();
    server = undefined;

    log('(f) cold start, 5 times each: GET / and GET /auth/me ...');
    const coldTrivial: number[] = [];
    const coldMe: number[] = [];
    for (let i = 0; i < 5; i++) {
      coldTrivial.push(await coldStart(env, '/'));
      coldMe.push(await coldStart(env, '/auth/me', bearer));
    }
    const f = { trivial: median(coldTrivial), me: median(coldMe) };

    const cpuModel = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    const report = {
      date: new Date().toISOString(),
      machine: { cpu: cpuModel, cores: CORES, memoryGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version, platform: `${os.type()} ${os.release()}` },
      loadAverage: { before: loadBefore.map((x) => round(x, 2)), after: os.loadavg().map((x) => round(x, 2)) },
      settings: { bcryptCost: COST, hashing, durationSeconds: DURATION, connections: CONNECTIONS },
      a_trivial: { rps: round(a.rps), p99Ms: a.p99, mainThreadCpuUsPerRequest: a.cpuUs && round(a.cpuUs) },
      b_me: { rps: round(b.rps), p99Ms: b.p99, mainThreadCpuUsPerRequest: b.cpuUs && round(b.cpuUs) },
      c_me_bad_token: { rps: round(c.rps), p99Ms: c.p99, mainThreadCpuUsPerRequest: c.cpuUs && round(c.cpuUs) },
      d_login: { loginsPerSecond: round(loginsPerSecond, 2), p99Ms: d.latency.p99, compareMs: round(compare, 1), bcryptLimitPerSecond: round(limit, 2) },
      e_me_during_logins: {
        p99Ms: round(e.p99, 1), p50Ms: round(e.p50, 1), maxMs: round(e.max, 1), samples: probeLatencies.length,
        concurrentLoginsPerSecond: round(duringLogins['2xx'] / duringLogins.duration, 2),
      },
      f_cold_start: { trivialMs: round(f.trivial), meMs: round(f.me), trivialRuns: coldTrivial.map((x) => round(x)), meRuns: coldMe.map((x) => round(x)) },
      ratios: {
        b_over_a: round(b.rps / a.rps, 2),
        d_over_limit: round(loginsPerSecond / limit, 2),
        f_me_over_trivial: round(f.me / f.trivial, 2),
      },
      targets: {
        b_over_a: { target: '>= 0.8', met: b.rps / a.rps >= 0.8 },
        d_over_limit: { target: '>= 0.8', met: loginsPerSecond / limit >= 0.8 },
        e_p99: { target: '<= 50 ms', met: e.p99 <= 50 },
        f_ratio: { target: '<= 1.2', met: f.me / f.trivial <= 1.2 },
      },
    };

    const mark = (met: boolean) => (met ? 'met' : 'NOT met');
    const rows: [string, string, string][] = [
      ['(a) GET / (trivial route, no DB)', `${round(a.rps)} req/s`, `p99 ${a.p99} ms, main-thread CPU ${cpu(a)}/request`],
      ['(b) GET /auth/me, valid token', `${round(b.rps)} req/s`, `p99 ${b.p99} ms, main-thread CPU ${cpu(b)}/request`],
      ['(c) GET /auth/me, bad token (401)', `${round(c.rps)} req/s`, `p99 ${c.p99} ms, main-thread CPU ${cpu(c)}/request`],
      ['(d) POST /auth/login', `${round(loginsPerSecond, 1)} logins/s`, `limit ${round(limit, 1)}/s (${CORES} cores / ${round(compare)} ms)`],
      ['(e) /auth/me at 20/s during 20 logins', `p99 ${round(e.p99, 1)} ms`, `p50 ${round(e.p50, 1)} ms, max ${round(e.max)} ms`],
      ['(f) cold start to first 200, median of 5', `/auth/me ${round(f.me)} ms`, `GET / ${round(f.trivial)} ms`],
      ['(b)/(a)  target >= 0.8', String(report.ratios.b_over_a), mark(report.targets.b_over_a.met)],
      ['(d)/limit  target >= 0.8', String(report.ratios.d_over_limit), mark(report.targets.d_over_limit.met)],
      ['(e) p99  target <= 50 ms', `${round(e.p99, 1)} ms`, mark(report.targets.e_p99.met)],
      ['(f) /auth/me over GET /  target <= 1.2', String(report.ratios.f_me_over_trivial), mark(report.targets.f_ratio.met)],
    ];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
    const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(
      [
        `${cpuModel}, ${CORES} cores, Node ${process.version}; BCRYPT_COST=${COST}, hashing on ${hashing}; ` +
          `load average before ${report.loadAverage.before.join(' ')}, after ${report.loadAverage.after.join(' ')}`,
        line(['Measure', 'Result', 'Detail']),
        `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
        ...rows.map(line),
      ].join('\n'),
    );

    const file = path.join(ROOT, 'bench', 'results', `${report.date.replace(/[:.]/g, '-')}.json`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`written to ${path.relative(ROOT, file)}`);
  } finally {
    await server?.stop();
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
    await cluster.stop();
  }
}

run(main);
