/**
 * Starts the production build (`next start`, or the standalone server) as a child process on a free
 * loopback port: for the API tests and for `npm run bench`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export type ChildServer = { url: string; process: ChildProcess; output: () => string; stop(): Promise<void> };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The environment of a production server started from here: only what is given (and PATH, HOME), so that
 * a developer's shell and .env files never leak in. Undefined values are left out.
 */
export function productionEnv(settings: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    // Next.js's own flag for "env files already loaded": .env.local may hold a JWT_SECRET or a Neon
    // DATABASE_URL, and the server must see only what is set here.
    __NEXT_PROCESSED_ENV: 'true',
    ...settings,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}

const NEXT_BIN = path.join(process.cwd(), 'node_modules', 'next', 'dist', 'bin', 'next');

/**
 * Spawns `next start` on a free loopback port (or, with `standalone`, `node <dir>/server.js`, the
 * self-hosting output); resolves once it answers, or rejects with its output.
 */
export async function startServer(
  env: NodeJS.ProcessEnv,
  { waitFor = '/health', standalone, from }: { waitFor?: string; standalone?: string; from?: string } = {},
): Promise<ChildServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = standalone
    ? spawn(process.execPath, [path.join(standalone, 'server.js')], {
        env: { ...env, PORT: String(port), HOSTNAME: '127.0.0.1' },
        cwd: standalone,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : // `from`: run as `next start <project>` from another folder (as a process manager may).
      spawn(process.execPath, [NEXT_BIN, 'start', ...(from ? [process.cwd()] : []), '-H', '127.0.0.1', '-p', String(port)], {
        env,
        cwd: from,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(url + waitFor);
      await response.arrayBuffer();
      return { url, process: child, output: () => output, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(`the server did not answer within 30 s:\n${output}`);
}

/**
 * Runs `next start` expecting it to refuse to start (bad configuration); resolves with its exit code and
 * output. A server still running after `safetyMs` is killed (code null): far past any start-up on a
 * loaded machine (a refusal takes about a second), only so that a server that starts by mistake is not
 * left running. (Polling it for an answer would not do: Next serves early requests before
 * instrumentation's configuration check has run.)
 */
export async function runServerToExit(env: NodeJS.ProcessEnv, safetyMs = 45_000): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), safetyMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}
