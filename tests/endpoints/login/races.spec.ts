/**
 * A login racing a password change or a deactivation gets no session that outlives the change. Each
 * race is forced (tests/support/interleave.ts): the test holds the user's row FOR UPDATE, so the login
 * stops where it needs that row, and the test changes the account before letting it go.
 */
import type { APIRequestContext } from '@playwright/test';
import bcrypt from 'bcryptjs';
import { decodeJwt } from 'jose';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../../support/fixtures';
import { holdingLocks } from '../../support/interleave';
import { login, type Pair, refresh } from '../../support/sessions';

const NEW_PASSWORD = 'a brand new passphrase';
const LOCK_USER = 'select 1 from users where id = $1 for update';

async function register(api: import('@playwright/test').APIRequestContext, email = uniqueEmail('race')): Promise<{ email: string; id: string }> {
  const response = await api.post('/auth/register', { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(201);
  return { email, id: (await response.json()).id };
}

/** The user's sessions that are not revoked. */
async function liveSessions(userId: string): Promise<string[]> {
  return withDb(async (db) =>
    (await db.query('select id from sessions where user_id = $1 and revoked_at is null order by created_at', [userId])).rows.map((r) => r.id as string),
  );
}

async function storedHash(userId: string): Promise<string> {
  return withDb(async (db) => (await db.query('select hashed_password from users where id = $1', [userId])).rows[0].hashed_password);
}

/**
 * Logs in with PASSWORD while the test holds the user's row; once the login waits for it, the password
 * changes to `newHash` and the row is released: the login's answer.
 */
async function loginWhilePasswordChanges(api: APIRequestContext, user: { email: string; id: string }, newHash: string) {
  return holdingLocks(async (holder) => {
    await holder.query(LOCK_USER, [user.id]);
    const loggingIn = api.post('/auth/login', { data: { email: user.email, password: PASSWORD } });
    await holder.waitForBlocked(1, [loggingIn]);
    await holder.query('update users set hashed_password = $2 where id = $1', [user.id, newHash]);
    await holder.commit();
    return loggingIn;
  });
}

test.describe('a login racing a change to the account', () => {
  test('the password changes while the old one is being checked: 401 and no session', async ({ api }) => {
    const { email, id } = await register(api);
    const newHash = await bcrypt.hash(NEW_PASSWORD, 10);
    // The login has checked the old password and now waits for the user's row.
    const response = await loginWhilePasswordChanges(api, { email, id }, newHash);
    expect(response.status()).toBe(401);
    expect((await response.json()).error).toBe('invalid_credentials');
    expect(await withDb(async (db) => (await db.query('select count(*)::int as n from sessions where user_id = $1', [id])).rows[0].n)).toBe(0);
  });

  test('a password change that starts after the login took the row still ends the login\'s session', async ({ api }) => {
    const { email, id } = await register(api);
    const changer = await login(api, email); // the session that changes the password
    let loggedIn: Pair | undefined;
    let changed: Pair | undefined;
    await holdingLocks(async (holder) => {
      await holder.query(LOCK_USER, [id]);
      const loggingIn = api.post('/auth/login', { data: { email, password: PASSWORD } });
      await holder.waitForBlocked(1, [loggingIn]);
      // The change starts while the login is still in flight, and queues behind it on the row.
      const changing = api.post('/auth/password', {
        headers: { authorization: `Bearer ${changer.access_token}` },
        data: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      });
      await holder.waitForBlocked(2, [loggingIn, changing]);
      await holder.commit();
      const [login, change] = await Promise.all([loggingIn, changing]);
      expect(change.status()).toBe(200);
      changed = await change.json();
      if (login.status() === 200) loggedIn = await login.json();
    });
    // Whichever way the race went, only the session the change started lives on.
    expect(await liveSessions(id)).toEqual([decodeJwt(changed!.access_token).sid]);
    if (loggedIn) expect((await refresh(api, loggedIn.refresh_token)).status()).toBe(401);
  });

  test('the account is deactivated while the password is checked, then reactivated: no session lives on', async ({ api }) => {
    const { email, id } = await register(api);
    const response = await holdingLocks(async (holder) => {
      await holder.query(LOCK_USER, [id]);
      const loggingIn = api.post('/auth/login', { data: { email, password: PASSWORD } });
      await holder.waitForBlocked(1, [loggingIn]);
      await holder.query('update users set is_active = false where id = $1', [id]);
      await holder.commit();
      return loggingIn;
    });
    expect(response.status()).toBe(401);
    await withDb((db) => db.query('update users set is_active = true where id = $1', [id]));
    expect(await withDb(async (db) => (await db.query('select count(*)::int as n from sessions where user_id = $1', [id])).rows[0].n)).toBe(0);
    // Reactivated: a new login works as usual.
    expect((await api.post('/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(200);
  });

  test('the cost upgrade never writes the old password\'s hash over a new one', async ({ api }) => {
    // Stored at cost 11; the test server runs at BCRYPT_COST=10, so this login rehashes.
    const email = uniqueEmail('rehash-race');
    const id = await withDb(async (db) =>
      (await db.query('insert into users (email, hashed_password) values ($1, $2) returning id', [email, await bcrypt.hash(PASSWORD, 11)])).rows[0].id as string,
    );
    const newHash = await bcrypt.hash(NEW_PASSWORD, 10);
    // Checked the old password, made its hash at cost 10, and now waits to store it.
    const response = await loginWhilePasswordChanges(api, { email, id }, newHash);
    expect(await storedHash(id)).toBe(newHash);
    expect(response.status()).toBe(401);
    expect(await liveSessions(id)).toEqual([]);
    expect((await api.post('/auth/login', { data: { email, password: NEW_PASSWORD } })).status()).toBe(200);
  });
});
