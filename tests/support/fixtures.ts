import { randomUUID } from 'node:crypto';
import { test as base, expect, request as playwrightRequest, type APIRequestContext } from '@playwright/test';
import pg from 'pg';

/** A unique email per call, so that tests never share accounts. */
export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;
export const PASSWORD = 'correct horse battery staple';

/** A pg client on the test database, for looking at what the API wrote. */
export async function withDb<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function countUsers(email: string): Promise<number> {
  return withDb(async (db) => {
    const { rows } = await db.query('select count(*)::int as n from users where lower(email) = lower($1)', [email]);
    return rows[0].n as number;
  });
}

type Fixtures = {
  api: APIRequestContext;
  /** Registers a fresh account and logs in: its email, password, id and access token. */
  account: { email: string; password: string; id: string; token: string };
};

export const test = base.extend<Fixtures>({
  api: async ({}, use) => {
    const context = await playwrightRequest.newContext({ baseURL: process.env.TEST_BASE_URL });
    await use(context);
    await context.dispose();
  },
  account: async ({ api }, use) => {
    const email = uniqueEmail('account');
    const registered = await api.post('/auth/register', { data: { email, password: PASSWORD } });
    expect(registered.status()).toBe(201);
    const login = await api.post('/auth/login', { data: { email, password: PASSWORD } });
    expect(login.status()).toBe(200);
    await use({ email, password: PASSWORD, id: (await registered.json()).id, token: (await login.json()).access_token });
  },
});

export { expect };

/** Registers a fresh account on any server (a dedicated one, not only the shared one) and logs in. */
export async function registerAndLogin(baseUrl: string): Promise<{ email: string; id: string; token: string }> {
  const email = uniqueEmail('account');
  const body = JSON.stringify({ email, password: PASSWORD });
  const headers = { 'content-type': 'application/json' };
  const registered = await fetch(`${baseUrl}/auth/register`, { method: 'POST', headers, body });
  expect(registered.status).toBe(201);
  const login = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers, body });
  expect(login.status).toBe(200);
  return { email, id: ((await registered.json()) as { id: string }).id, token: ((await login.json()) as { access_token: string }).access_token };
}

/** GET /auth/me with this token on this server: its status. */
export async function meStatus(baseUrl: string, token: string): Promise<number> {
  const response = await fetch(`${baseUrl}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}
