/**
 * The refresh cookie in a real browser: headless Chromium from the `@sparticuz/chromium` package
 * (the binary ships inside it; nothing is downloaded), driven by Playwright. A server of its own lists
 * two front-end origins in CORS_ORIGINS: `http://localhost:<front>` (same site as the API on
 * `http://localhost:<api>`: another port is another origin, not another site) and
 * `http://127.0.0.1:<front>` (another site). A third, `http://localhost:<unlisted>`, is same-site but
 * not listed. Each page is a blank document from its origin; the test runs `fetch` in it.
 */
import http from 'node:http';
import { decodeJwt } from 'jose';
import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../support/fixtures';
import { freePort, serverEnv, startServer, type TestServer } from '../support/server';

const COOKIE = '__Secure-refresh_token';
/**
 * `@sparticuz/chromium`'s arguments are made for serverless hosts and include some that switch off
 * the very protections under test (the same-origin policy, hence CORS): those are left out, and so is
 * `--single-process` (closing a browser context then ends the whole browser). It keeps `--no-sandbox`,
 * which Chromium needs to run as root (CI containers).
 */
const LEFT_OUT = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--single-process']);

// One server (and browser) for the file: its tests run in one worker, in order.
test.describe.configure({ mode: 'default' });
let server: TestServer;
let api: string;
let browser: Browser;
const frontServers: http.Server[] = [];
const origins = { listed: '', crossSite: '', unlisted: '' };

async function serveBlankPage(port: number): Promise<void> {
  const front = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>front end</title>');
  });
  await new Promise<void>((resolve) => front.listen(port, '127.0.0.1', resolve));
  frontServers.push(front);
}

test.beforeAll(async () => {
  const [front, unlisted] = [await freePort(), await freePort()];
  origins.listed = `http://localhost:${front}`;
  origins.crossSite = `http://127.0.0.1:${front}`;
  origins.unlisted = `http://localhost:${unlisted}`;
  await serveBlankPage(front);
  await serveBlankPage(unlisted);
  // The cross-site origin is listed too: what keeps it out is SameSite and Sec-Fetch-Site, not CORS.
  server = await startServer(serverEnv({ CORS_ORIGINS: `${origins.listed},${origins.crossSite}` }));
  api = server.url.replace('127.0.0.1', 'localhost');
  const args = sparticuz.args.filter((arg) => !LEFT_OUT.has(arg));
  if (process.getuid?.() === 0) expect(args).toContain('--no-sandbox');
  browser = await chromium.launch({ executablePath: await sparticuz.executablePath(), args, headless: true });
});
test.afterAll(async () => {
  await browser?.close();
  await server?.stop();
  for (const front of frontServers) await new Promise((resolve) => front.close(resolve));
});

async function register(): Promise<string> {
  const email = uniqueEmail('browser');
  const response = await fetch(`${server.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(response.status).toBe(201);
  return email;
}

async function open(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

type Call = { status: number; body: Record<string, unknown> | null } | { failed: string };

/** `fetch(api + path, { method: 'POST', credentials: 'include' })` in the page, with an optional JSON body and bearer token. */
function call(page: Page, path: string, { json, bearer, method = 'POST' }: { json?: unknown; bearer?: string; method?: string } = {}): Promise<Call> {
  return page.evaluate(
    async ({ url, json, bearer, method }) => {
      const headers: Record<string, string> = {};
      if (json !== undefined) headers['content-type'] = 'application/json';
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      try {
        const response = await fetch(url, { method, credentials: 'include', headers, body: json === undefined ? undefined : JSON.stringify(json) });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : null };
      } catch (error) {
        return { failed: String(error) }; // CORS refused the answer to this page
      }
    },
    { url: api + path, json, bearer, method },
  );
}

/** The refresh cookie as the browser keeps it for the API (Playwright reads httpOnly cookies too). */
async function storedCookie(context: BrowserContext) {
  return (await context.cookies(`${api}/auth/refresh`)).find((c) => c.name === COOKIE);
}

/** The session of an access token as the database has it: ended, and when it was last refreshed. */
const sessionOf = (accessToken: string) =>
  withDb(async (db) =>
    (await db.query('select revoked_at is not null as revoked, last_used_at from sessions where id = $1', [decodeJwt(accessToken).sid])).rows[0] as { revoked: boolean; last_used_at: Date },
  );

/** Logs in from the page asking for the cookie; the access token. */
async function cookieLogin(page: Page, email: string): Promise<string> {
  const login = await call(page, '/auth/login', { json: { email, password: PASSWORD, refresh_cookie: true } });
  if (!('status' in login) || login.status !== 200) throw new Error(`login: ${JSON.stringify(login)}`);
  return login.body!.access_token as string;
}

test('a same-site front end logs in, cannot read the token, refreshes with the cookie alone, logs out, and cannot refresh after', async () => {
  const email = await register();
  const context = await browser.newContext();
  const page = await open(context, origins.listed);

  const login = await call(page, '/auth/login', { json: { email, password: PASSWORD, refresh_cookie: true } });
  expect(login).toMatchObject({ status: 200, body: { token_type: 'bearer' } });
  if (!('status' in login)) throw new Error(login.failed);
  expect(login.body!.refresh_token).toBeUndefined();
  const kept = await storedCookie(context);
  expect(kept).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/auth', domain: 'localhost' });
  // The page's scripts cannot see it.
  expect(await page.evaluate(() => document.cookie)).toBe('');

  const refreshed = await call(page, '/auth/refresh');
  expect(refreshed).toMatchObject({ status: 200 });
  if (!('status' in refreshed)) throw new Error(refreshed.failed);
  const access = refreshed.body!.access_token as string;
  expect(access).not.toBe(login.body!.access_token);
  expect(refreshed.body!.refresh_token).toBeUndefined();
  const rotated = (await storedCookie(context))!.value;
  expect(rotated).not.toBe(kept!.value);

  expect(await call(page, '/auth/me', { bearer: access, method: 'GET' })).toMatchObject({ status: 200, body: { email } });

  expect(await call(page, '/auth/logout')).toEqual({ status: 204, body: null });
  expect(await storedCookie(context)).toBeUndefined();
  expect((await sessionOf(access)).revoked).toBe(true);
  // No cookie left to send: refresh cannot work.
  expect(await call(page, '/auth/refresh')).toMatchObject({ status: 422 });
  expect(await call(page, '/auth/me', { bearer: access, method: 'GET' })).toMatchObject({ status: 401 });
  await context.close();
});

test('a page of another site (127.0.0.1 against localhost), though listed, can neither get nor use the cookie', async () => {
  const email = await register();
  const context = await browser.newContext();
  const own = await open(context, origins.listed);
  const access = await cookieLogin(own, email);
  const before = await sessionOf(access);

  const other = await open(context, origins.crossSite);
  // SameSite=Strict: the browser does not send the cookie from another site (no cookie: 422; a logout: 401).
  expect(await call(other, '/auth/refresh')).toMatchObject({ status: 422, body: { fields: { refresh_token: expect.any(String) } } });
  expect(await call(other, '/auth/logout')).toMatchObject({ status: 401 });
  // Nor can it get a cookie of its own: the browser says Sec-Fetch-Site: cross-site.
  expect(await call(other, '/auth/login', { json: { email, password: PASSWORD, refresh_cookie: true } })).toMatchObject({ status: 403, body: { error: 'origin_not_allowed' } });
  expect(await sessionOf(access)).toEqual(before);
  // The front end's own page still refreshes with it.
  expect(await call(own, '/auth/refresh')).toMatchObject({ status: 200 });
  await context.close();
});

test('a same-site page whose origin is not in CORS_ORIGINS: the browser sends the cookie, the server refuses it and changes nothing', async () => {
  const email = await register();
  const context = await browser.newContext();
  const own = await open(context, origins.listed);
  const access = await cookieLogin(own, email);
  const before = await sessionOf(access);
  const cookie = (await storedCookie(context))!.value;

  const unlisted = await open(context, origins.unlisted);
  // CORS keeps the answers from the page (the fetch fails) ...
  expect(await call(unlisted, '/auth/refresh')).toEqual({ failed: expect.stringContaining('Failed to fetch') });
  expect(await call(unlisted, '/auth/logout')).toEqual({ failed: expect.stringContaining('Failed to fetch') });
  expect(await call(unlisted, '/auth/login', { json: { email, password: PASSWORD, refresh_cookie: true } })).toEqual({ failed: expect.stringContaining('Failed to fetch') });
  // ... and the server, which got the cookie, did nothing with it: not refreshed, not logged out.
  expect(await sessionOf(access)).toEqual(before);
  expect((await storedCookie(context))!.value).toBe(cookie);
  expect(await call(own, '/auth/refresh')).toMatchObject({ status: 200 });
  await context.close();
});
