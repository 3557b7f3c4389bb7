/**
 * npm run users -- <command>: account administration against DATABASE_URL (the local database when it
 * is unset, like every database command).
 *
 *   npm run users -- list                 every account: email, id, active, created_at
 *   npm run users -- deactivate <email>   the account can no longer log in; its tokens stop working
 *   npm run users -- activate <email>     undoes deactivate
 *
 * Exits 1 with a message for an unknown command or email, so scripts can rely on the exit code.
 */
import { listUsers, setUserActive } from '../lib/auth/users';
import { getPool } from '../lib/db';
import { ensureDatabaseUrl } from './local-db';
import { run } from './run';
import { printTable } from './table';

const USAGE = `Usage:
  npm run users -- list
  npm run users -- deactivate <email>
  npm run users -- activate <email>`;

class UsageError extends Error {}

async function list(): Promise<void> {
  const users = await listUsers();
  printTable(
    `${users.length} account(s)`,
    users.map((u) => ({ email: u.email, id: u.id, active: u.is_active ? 'yes' : 'no', created_at: u.created_at })),
  );
}

async function setActive(email: string | undefined, active: boolean): Promise<void> {
  if (!email?.trim()) throw new UsageError(`Say which account: npm run users -- ${active ? 'activate' : 'deactivate'} <email>`);
  const before = await setUserActive(email, active);
  if (!before) throw new UsageError(`No account has the email "${email.trim()}". See who exists: npm run users -- list`);
  const state = active ? 'active' : 'deactivated';
  console.log(before.is_active === active ? `${before.email} was already ${state}; nothing changed.` : `${before.email} is now ${state}.`);
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined || command === 'help' || command === '--help') {
    console.log(USAGE);
    if (command === undefined) process.exitCode = 1;
    return;
  }
  const work: Record<string, () => Promise<void>> = {
    list,
    deactivate: () => setActive(args[0], false),
    activate: () => setActive(args[0], true),
  };
  const action = work[command];
  if (!action) throw new UsageError(`Unknown command "${command}".\n${USAGE}`);

  const stopLocalDatabase = await ensureDatabaseUrl();
  try {
    await action();
  } finally {
    // The app's pool keeps the process alive: close it (and a local database we started) when done.
    await getPool().end();
    await stopLocalDatabase();
  }
}

run(main);
