import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** Two free consecutive loopback ports (PostgreSQL and its relay), at random in 55000-60999. */
export async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const port = 55000 + 2 * Math.floor(Math.random() * 3000);
    if ((await free(port)) && (await free(port + 1))) return port;
  }
}

export type Running = { child: ChildProcess; output: () => string; waitFor(text: string | RegExp, ms?: number): Promise<void>; exited: Promise<number | null> };

/** Runs one of the project's scripts with tsx in its own process group (as a terminal would). */
export function runScriptInBackground(script: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [path.join('node_modules', 'tsx', 'dist', 'cli.mjs'), script, ...args], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitFor(text, ms = 60_000) {
      const deadline = Date.now() + ms;
      while (!(typeof text === 'string' ? output.includes(text) : text.test(output))) {
        if (Date.now() > deadline) throw new Error(`did not print ${text} within ${ms} ms:\n${output}`);
        if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before printing ${text}:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** Ctrl-C, as a terminal sends it: SIGINT to the whole process group. */
export function interrupt(running: Running): void {
  try {
    process.kill(-running.child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
}
