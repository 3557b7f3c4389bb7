/**
 * The login logic called in-process (lib/auth/flows/login.ts, lib/auth/store/sessions.ts), for what an HTTP answer
 * cannot show: the bcrypt work behind "an unknown email takes the same time as a wrong password", and
 * the conditions under which the successful-login statement refuses to start a session.
 */
import { AuthFailure } from '../../../lib/auth/errors';
import { logIn } from '../../../lib/auth/flows/login';
import { bcryptStats } from '../../../lib/auth/crypto/bcrypt-pool';
import { compareCosts, hashPassword } from '../../../lib/auth/crypto/password';
import { newDeviceToken } from '../../../lib/auth/store/known-clients';
import { startLoginSession } from '../../../lib/auth/store/sessions';
import { createUser, type Account } from '../../../lib/auth/store/users';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { serverModulesInProcess, testServerSettings } from '../../support/in-process';

// Neither the default (12) nor the test server's (10): a compare at any other cost shows.
const COST = 11;
serverModulesInProcess(test, () => ({ ...testServerSettings(), BCRYPT_COST: String(COST) }));

/** A user whose hash was made here, at COST. */
async function newUser(): Promise<Account & { hash: string }> {
  const hash = await hashPassword(PASSWORD);
  const user = await createUser(uniqueEmail('logic'), hash);
  return { ...user!, hash };
}

/** One login attempt: how it failed (or 'ok') and the bcrypt work it did (counted by the pool, costs by password.ts). */
async function attempt(email: string, password: string) {
  const before = { ...bcryptStats(), comparesAtCost: compareCosts() };
  let outcome: string;
  try {
    await logIn(email, password, { address: '127.0.0.1' });
    outcome = 'ok';
  } catch (error) {
    if (!(error instanceof AuthFailure)) throw error;
    outcome = error.kind;
  }
  const after = { ...bcryptStats(), comparesAtCost: compareCosts() };
  const comparesAtCost = Object.fromEntries(
    Object.entries(after.comparesAtCost)
      .map(([cost, n]) => [cost, n - (before.comparesAtCost[Number(cost)] ?? 0)])
      .filter(([, n]) => n !== 0),
  );
  return { outcome, hashes: after.hashes - before.hashes, compares: after.compares - before.compares, comparesAtCost };
}

const sessionsOf = (userId: string) =>
  withDb(async (db) => (await db.query('select count(*)::int as n from sessions where user_id = $1', [userId])).rows[0].n as number);

test.describe('login: the same work for an unknown email as for a wrong password', () => {
  test('each costs exactly one bcrypt compare, at BCRYPT_COST, and gets the same failure', async () => {
    const user = await newUser();
    const wrongPassword = await attempt(user.email, 'not the password');
    const unknownEmail = await attempt(uniqueEmail('ghost'), PASSWORD);
    expect(wrongPassword).toEqual({ outcome: 'invalid_credentials', hashes: 0, compares: 1, comparesAtCost: { [COST]: 1 } });
    expect(unknownEmail).toEqual(wrongPassword);
  });

  test('a password over 72 bytes costs the same compare, known email or not', async () => {
    const user = await newUser();
    const long = 'p'.repeat(80);
    const expected = { outcome: 'invalid_credentials', hashes: 0, compares: 1, comparesAtCost: { [COST]: 1 } };
    expect(await attempt(user.email, long)).toEqual(expected);
    expect(await attempt(uniqueEmail('ghost'), long)).toEqual(expected);
  });

  test('the right password costs one compare too, and opens a session (the counting sees a success)', async () => {
    const user = await newUser();
    expect(await attempt(user.email, PASSWORD)).toEqual({ outcome: 'ok', hashes: 0, compares: 1, comparesAtCost: { [COST]: 1 } });
    expect(await sessionsOf(user.id)).toBe(1);
  });
});

test.describe('startLoginSession: a session only for the hash that was verified, of an active user', () => {
  test('starts a session when the verified hash is the stored one and the user is active', async () => {
    const user = await newUser();
    const session = await startLoginSession(user, user.hash, { address: '127.0.0.1', deviceToken: newDeviceToken() });
    expect(session).toEqual({ sessionId: expect.any(String), refreshToken: expect.stringMatching(/^[\w-]{70}$/), refreshExpiresIn: expect.any(Number), amr: ['pwd'] });
    expect(await sessionsOf(user.id)).toBe(1);
  });

  test('starts none when the password changed after it was verified', async () => {
    const user = await newUser();
    await withDb((db) => db.query('update users set hashed_password = $2 where id = $1', [user.id, '$2b$11$' + 'x'.repeat(53)]));
    expect(await startLoginSession(user, user.hash, { address: '127.0.0.1', deviceToken: newDeviceToken() })).toBeUndefined();
    expect(await sessionsOf(user.id)).toBe(0);
  });

  test('starts none when the user was deactivated after the password was verified', async () => {
    const user = await newUser();
    await withDb((db) => db.query('update users set is_active = false where id = $1', [user.id]));
    expect(await startLoginSession(user, user.hash, { address: '127.0.0.1', deviceToken: newDeviceToken() })).toBeUndefined();
    expect(await sessionsOf(user.id)).toBe(0);
  });
});
