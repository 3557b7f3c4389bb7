/**
 * npm run users -- <command>: account administration against DATABASE_URL (the local database when it
 * is unset, like every database command).
 *
 *   npm run users -- list                   every account: email, id, active, created_at, verified
 *   npm run users -- deactivate <email>     the account can no longer log in; its tokens stop working
 *   npm run users -- activate <email>       undoes deactivate
 *   npm run users -- verify <email>         marks the email verified (as its link would)
 *   npm run users -- set-password <email>   a new password, typed (not shown) or piped on standard input;
 *                                           every session ends and failed logins are forgotten
 *   npm run users -- delete <email>         deletes the account and everything of it
 *   npm run users -- reset-2fa <email>      turns two-factor off (lost device, no recovery code left);
 *                                           every session ends
 *
 * Exits 1 with a message for an unknown command or email, or a refused password, so scripts can rely
 * on the exit code.
 */
import { hashPassword } from '../lib/auth/crypto/password';
import { newPassword } from '../lib/auth/wire/schemas';
import { deleteUser, findUserByEmail, listUsers, markEmailVerified, setPasswordAndEndSessions, setUserActive } from '../lib/auth/store/users';
import { disableTotp } from '../lib/auth/store/two-factor';
import { getPool } from '../lib/db';
import { ensureDatabaseUrl } from './local/local-db';
import { run } from './support/run';
import { printTable } from './support/table';

const USAGE = `Usage:
  npm run users -- list
  npm run users -- deactivate <email>
  npm run users -- activate <email>
  npm run users -- verify <email>
  npm run users -- set-password <email>     (type it, or pipe it: printf '%s' "$PASSWORD" | npm run users -- set-password <email>)
  npm run users -- delete <email>
  npm run users -- reset-2fa <email>`;

class UsageError extends Error {}

async function list(): Promise<void> {
  const users = await listUsers();
  printTable(
    `${users.length} account(s)`,
    users.map((u) => ({ email: u.email, id: u.id, active: u.is_active ? 'yes' : 'no', created_at: u.created_at, verified: u.email_verified ? 'yes' : 'no' })),
  );
}

async function setActive(email: string | undefined, active: boolean): Promise<void> {
  if (!email?.trim()) throw new UsageError(`Say which account: npm run users -- ${active ? 'activate' : 'deactivate'} <email>`);
  const before = await setUserActive(email, active);
  if (!before) throw new UsageError(`No account has the email "${email.trim()}". See who exists: npm run users -- list`);
  const state = active ? 'active' : 'deactivated';
  console.log(before.is_active === active ? `${before.email} was already ${state}; nothing changed.` : `${before.email} is now ${state}.`);
}

function requireEmail(command: string, email: string | undefined): string {
  if (!email?.trim()) throw new UsageError(`Say which account: npm run users -- ${command} <email>`);
  return email.trim();
}

const noSuchAccount = (email: string) => new UsageError(`No account has the email "${email}". See who exists: npm run users -- list`);

async function verify(email: string | undefined): Promise<void> {
  const address = requireEmail('verify', email);
  const before = await markEmailVerified(address);
  if (!before) throw noSuchAccount(address);
  console.log(before.email_verified ? `${before.email} was already verified; nothing changed.` : `${before.email} is now verified.`);
}

async function remove(email: string | undefined): Promise<void> {
  const address = requireEmail('delete', email);
  const user = await findUserByEmail(address);
  if (!user || !(await deleteUser(user))) throw noSuchAccount(address);
  console.log(`${user.email} is deleted, with its sessions and links.`);
}

/** Every byte of a pipe; one final line break (printf, echo, a here-string) is not part of the password. */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A line typed at the terminal, not echoed (raw mode); Ctrl-C cancels, Backspace erases. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows: a line typed as soon as it appears must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (done: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      done();
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(() => resolve(typed));
        if (char === '\u0003') return finish(() => reject(new Error('Cancelled; nothing changed.')));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

/** The new password, by the rules of registration; typed twice at a terminal. */
async function readNewPassword(): Promise<string> {
  let raw: string;
  if (process.stdin.isTTY) {
    raw = await readHidden('New password (not shown): ');
    if ((await readHidden('The same again: ')) !== raw) throw new UsageError('The two passwords differ; nothing changed.');
  } else {
    raw = await readPiped();
    if (!raw) throw new UsageError(`No password on standard input; nothing changed.\n${USAGE}`);
  }
  const checked = newPassword.safeParse(raw);
  if (!checked.success) throw new UsageError(`${checked.error.issues[0]?.message ?? 'This password is not accepted.'} Nothing changed.`);
  return checked.data;
}

async function setPassword(email: string | undefined): Promise<void> {
  const address = requireEmail('set-password', email);
  const user = await findUserByEmail(address);
  if (!user) throw noSuchAccount(address);
  const password = await readNewPassword();
  if (!(await setPasswordAndEndSessions(user, await hashPassword(password), user.hashedPassword))) {
    // A reset or a change by the owner landed while this ran: it is not undone behind their back.
    throw new UsageError(`The password of ${user.email} changed while this command ran; nothing changed. Run it again to replace it anyway.`);
  }
  console.log(`${user.email} has a new password; every session of it has ended.`);
}

/**
 * For an owner who lost the authenticator and every recovery code (check who asks, out of band, first):
 * two-factor off, recovery codes and pending login steps gone, every session ended. They log in with
 * the password alone and can turn it on again.
 */
async function resetTwoFactor(email: string | undefined): Promise<void> {
  const address = requireEmail('reset-2fa', email);
  const user = await findUserByEmail(address);
  if (!user) throw noSuchAccount(address);
  const wasOn = await disableTotp(user.id, { endSessions: true });
  console.log(wasOn ? `${user.email}: two-factor is off and every session has ended.` : `${user.email} had no two-factor; every session has ended all the same.`);
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
    verify: () => verify(args[0]),
    'set-password': () => setPassword(args[0]),
    delete: () => remove(args[0]),
    'reset-2fa': () => resetTwoFactor(args[0]),
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
  // Nothing is left to do, but an idle bcrypt worker thread can keep the process alive after
  // set-password: exit once what was printed is out.
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(0);
}

run(main);
