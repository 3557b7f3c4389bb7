import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { expect, test } from '../support/fixtures';
import { freePortPair, interrupt, runScriptInBackground } from '../support/processes';

/** The processes of a process group, from /proc (no `ps` needed). */
function processGroup(pgid: number): { pid: number; command: string }[] {
  const members: { pid: number; command: string }[] = [];
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (group === pgid) members.push({ pid: Number(entry), command });
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

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
    const first = runScriptInBackground('scripts/local/local-db.ts', [], env);
    await first.waitFor('Press Ctrl-C to stop.');
    const url = /DATABASE_URL=(\S+)/.exec(first.output())![1]!;
    expect(url).toMatch(new RegExp(`^postgresql://postgres:[^@]+@localhost:${port}/neon_auth$`));
    // kill -9 the Node processes only (tsx and the script), as a crash would, not PostgreSQL
    for (const { pid, command } of processGroup(first.child.pid!)) {
      if (command !== 'postgres') process.kill(pid, 'SIGKILL');
    }
    await first.exited;
    expect(await canConnect(url)).toBe(true);

    // 2. The next run says so, stops the orphan and starts afresh.
    const second = runScriptInBackground('scripts/local/local-db.ts', [], env);
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
      const run = runScriptInBackground('scripts/local/local-db.ts', [], {
        ...process.env,
        LOCAL_DB_PORT: String(port),
        LOCAL_DB_DIR: path.join(process.cwd(), '.data', 'db-local-port-test'),
      });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port ${port} on 127.0.0.1 is taken by another program`);
      expect(run.output()).toContain('LOCAL_DB_PORT=<port>');
    } finally {
      squatter.close();
    }
  });

  test('changes the permissions of no folder outside the project, even with the data under a folder only its owner can search', async () => {
    test.setTimeout(120_000);
    // As root, PostgreSQL runs as the `postgres` user, who cannot enter a 0700 folder such as /root.
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'local-db-closed-')); // mode 0700
    const dataDir = path.join(closed, 'pg');
    const above = (start: string) => {
      const folders = [];
      for (let dir = start; ; dir = path.dirname(dir)) {
        folders.push(dir);
        if (dir === path.dirname(dir)) return folders;
      }
    };
    const folders = [...new Set([...above(process.cwd()).slice(1), ...above(closed)])];
    const modes = () => Object.fromEntries(folders.map((dir) => [dir, (fs.statSync(dir).mode & 0o7777).toString(8)]));
    const before = modes();
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_DB_PORT: String(await freePortPair()), LOCAL_DB_DIR: dataDir };
    delete env.DATABASE_URL;
    const startAndQuery = async (sql: string) => {
      const run = runScriptInBackground('scripts/local/local-db.ts', [], env);
      try {
        await run.waitFor('Press Ctrl-C to stop.');
        const client = new pg.Client({ connectionString: /DATABASE_URL=(\S+)/.exec(run.output())![1]! });
        await client.connect();
        try {
          return (await client.query(sql)).rows;
        } finally {
          await client.end();
        }
      } finally {
        interrupt(run);
        await run.exited;
      }
    };
    try {
      await startAndQuery('create table kept (note text); insert into kept values (\'from the first run\')');
      expect(modes()).toEqual(before);
      // The cluster is found again by the next run (wherever it had to live).
      expect(await startAndQuery('select note from kept')).toEqual([{ note: 'from the first run' }]);
      expect(modes()).toEqual(before);
    } finally {
      // As root the cluster lives in the system temp folder, linked from dataDir: remove it too.
      if (fs.lstatSync(dataDir, { throwIfNoEntry: false })?.isSymbolicLink()) fs.rmSync(fs.readlinkSync(dataDir), { recursive: true, force: true });
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });
});
