import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { expect, test } from '../support/fixtures';
import { freePortPair, interrupt, runScriptInBackground } from '../support/processes';

const canConnect = (url: string) =>
  new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 }).connect().then(
    (client) => client.end().then(() => true),
    () => false,
  );

test.describe('npm run db:local', () => {
  test('prints DATABASE_URL, stops PostgreSQL on Ctrl-C, and recovers from a killed run', async () => {
    test.setTimeout(120_000);
    const port = await freePortPair();
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_DB_PORT: String(port), LOCAL_DB_DIR: path.join(process.cwd(), '.data', 'db-local-test') };
    delete env.DATABASE_URL;

    // 1. A run killed with SIGKILL leaves PostgreSQL running, orphaned.
    const first = runScriptInBackground('scripts/local-db.ts', [], env);
    await first.waitFor('Press Ctrl-C to stop.');
    const url = /DATABASE_URL=(\S+)/.exec(first.output())![1]!;
    expect(url).toMatch(new RegExp(`^postgresql://postgres:[^@]+@localhost:${port}/neon_auth$`));
    // kill -9 the Node processes only (tsx and the script), as a crash would, not PostgreSQL
    for (const line of execFileSync('ps', ['-o', 'pid=,comm=', '-g', String(first.child.pid)], { encoding: 'utf8' }).trim().split('\n')) {
      const [pid, command] = line.trim().split(/\s+/);
      if (command !== 'postgres') process.kill(Number(pid), 'SIGKILL');
    }
    await first.exited;
    expect(await canConnect(url)).toBe(true);

    // 2. The next run says so, stops the orphan and starts afresh.
    const second = runScriptInBackground('scripts/local-db.ts', [], env);
    await second.waitFor('Press Ctrl-C to stop.');
    expect(second.output()).toContain('an earlier run was stopped without shutting PostgreSQL down');
    expect(await canConnect(url)).toBe(true);

    // 3. Ctrl-C stops it cleanly.
    interrupt(second);
    expect([0, 130]).toContain(await second.exited); // 130: the shell's code for "ended by Ctrl-C"
    expect(await canConnect(url)).toBe(false);
  });

  test('a port taken by another program is named, with the setting that changes it', async () => {
    const port = await freePortPair();
    const squatter = net.createServer().listen(port, '127.0.0.1');
    try {
      const run = runScriptInBackground('scripts/local-db.ts', [], {
        ...process.env,
        LOCAL_DB_PORT: String(port),
        LOCAL_DB_DIR: path.join(process.cwd(), '.data', 'db-local-test'),
      });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port ${port} on 127.0.0.1 is taken by another program`);
      expect(run.output()).toContain('LOCAL_DB_PORT=<port>');
    } finally {
      squatter.close();
    }
  });
});
