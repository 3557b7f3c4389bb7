/**
 * The refresh token as an httpOnly cookie (lib/http/refresh-cookie.ts), over HTTP with the headers a
 * browser sends (Origin, Cookie, Sec-Fetch-Site), on a server of its own with CORS_ORIGINS set: the
 * opt-in, the cookie's attributes, refresh and logout with the cookie alone, the CSRF check (403 and
 * nothing changed), and every refresh-token rule (rotation, grace, reuse, max age) held for the cookie.
 * tests/browser/ proves the same in a real browser.
 */
import { decodeJwt } from 'jose';
import { expect, PASSWORD, test, uniqueEmail, withDb } from '../support/fixtures';
import { serverEnv, startServer, type TestServer } from '../support/server';
import { ageSpentTokens } from '../support/sessions';
import { enableTwoFactor, forgetLastStep, mfaToken, totpCode } from '../support/two-factor';

const ORIGIN = 'http://localhost:5173';
const OTHER_ORIGIN = 'http://localhost:5174';
const COOKIE = '__Secure-refresh_token';
// One server (and browser) for the file: its tests run in one worker, in order.
test.describe.configure({ mode: 'default' });
let server: TestServer;

test.beforeAll(async () => {
  server = await startServer(serverEnv({ CORS_ORIGINS: `${ORIGIN},https://app.example.com` }));
});
test.afterAll(async () => {
  await server?.stop();
});

type Send = { json?: unknown; form?: string; origin?: string | null; cookie?: string; site?: string; bearer?: string };

/** A POST as a browser page on `origin` sends it (null: no Origin header, as curl). */
async function post(path: string, { json, form, origin = ORIGIN, cookie, site, bearer }: Send = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (origin !== null) headers.origin = origin;
  if (cookie !== undefined) headers.cookie = `${COOKIE}=${cookie}`;
  if (site !== undefined) headers['sec-fetch-site'] = site;
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  let body: string | undefined;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = form;
  }
  return fetch(server.url + path, { method: 'POST', headers, body });
}

/** The refresh cookie an answer sets: its value and its attributes. */
function setCookie(response: Response): { value: string; attributes: string[] } | undefined {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split(/;\s*/);
  return { value: pair!.slice(COOKIE.length + 1), attributes };
}

async function register(): Promise<string> {
  const email = uniqueEmail('cookie');
  const response = await post('/auth/register', { json: { email, password: PASSWORD } });
  expect(response.status).toBe(201);
  return email;
}

/** Logs in asking for the cookie: the access token and the cookie's token. */
async function cookieLogin(email?: string): Promise<{ access: string; cookie: string; sid: string; email: string }> {
  email ??= await register();
  const response = await post('/auth/login', { json: { email, password: PASSWORD, refresh_cookie: true } });
  expect(response.status).toBe(200);
  const body = await response.json();
  return { access: body.access_token, cookie: setCookie(response)!.value, sid: decodeJwt(body.access_token).sid as string, email };
}

const sessionRow = (sid: string) =>
  withDb(async (db) => (await db.query('select revoked_at is not null as revoked, last_used_at from sessions where id = $1', [sid])).rows[0]);
const sessionsOf = (email: string) =>
  withDb(async (db) => (await db.query('select count(*)::int as n from sessions s join users u on u.id = s.user_id where u.email = $1', [email])).rows[0].n as number);

test.describe('login with refresh_cookie', () => {
  test('sets the refresh token as an httpOnly, Secure, SameSite=Strict cookie on /auth, for its lifetime, and leaves it out of the body', async () => {
    const email = await register();
    const response = await post('/auth/login', { json: { email, password: PASSWORD, refresh_cookie: true } });
    expect(response.status).toBe(200);
    const body = await response.json();
    // Every login answers its device_token too (the known-device lane: docs/security.md); never the refresh token.
    expect(Object.keys(body).sort()).toEqual(['access_token', 'device_token', 'expires_in', 'refresh_expires_in', 'token_type']);
    const cookie = setCookie(response)!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{70}$/);
    expect(cookie.attributes.sort()).toEqual([`Max-Age=${body.refresh_expires_in}`, 'HttpOnly', 'Path=/auth', 'SameSite=Strict', 'Secure'].sort());
    expect(body.refresh_expires_in).toBe(30 * 86400);
    // Credentials mode for this exact origin, never '*'.
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  test('as the OAuth2 form too (refresh_cookie=true)', async () => {
    const email = await register();
    const response = await post('/auth/login', { form: new URLSearchParams({ username: email, password: PASSWORD, refresh_cookie: 'true' }).toString() });
    expect(response.status).toBe(200);
    expect((await response.json()).refresh_token).toBeUndefined();
    expect(setCookie(response)?.value).toMatch(/^[A-Za-z0-9_-]{70}$/);
  });

  test('bearer clients are unchanged: without the opt-in, the token is in the body and no cookie is set', async () => {
    const email = await register();
    for (const json of [{ email, password: PASSWORD }, { email, password: PASSWORD, refresh_cookie: false }]) {
      const response = await post('/auth/login', { json, origin: null });
      expect(response.status).toBe(200);
      expect((await response.json()).refresh_token).toMatch(/^[A-Za-z0-9_-]{70}$/);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  test('from an origin not in CORS_ORIGINS, without an Origin, or from another site: 403 and no session', async () => {
    const email = await register();
    const json = { email, password: PASSWORD, refresh_cookie: true };
    for (const send of [{ origin: OTHER_ORIGIN }, { origin: null }, { origin: 'null' }, { site: 'cross-site' }, { site: 'none' }]) {
      const response = await post('/auth/login', { json, ...send });
      expect(response.status, JSON.stringify(send)).toBe(403);
      expect((await response.json()).error).toBe('origin_not_allowed');
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(await sessionsOf(email)).toBe(0);
    // A subdomain of the same site is same-site, and allowed when its origin is listed.
    expect((await post('/auth/login', { json, origin: 'https://app.example.com', site: 'same-site' })).status).toBe(200);
  });
});

test.describe('POST /auth/refresh with the cookie', () => {
  test('rotates it: a new access token and a new cookie, nothing in the body; the access token works', async () => {
    const { cookie, sid } = await cookieLogin();
    const response = await post('/auth/refresh', { cookie, site: 'same-site' });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.refresh_token).toBeUndefined();
    const next = setCookie(response)!;
    expect(next.value).toMatch(/^[A-Za-z0-9_-]{70}$/);
    expect(next.value).not.toBe(cookie);
    expect(next.attributes).toContain(`Max-Age=${body.refresh_expires_in}`);
    expect(decodeJwt(body.access_token).sid).toBe(sid);
    const me = await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.status).toBe(200);
    // The new cookie refreshes in turn.
    expect((await post('/auth/refresh', { cookie: next.value })).status).toBe(200);
  });

  test('a token in the body wins over the cookie, and is answered in the body', async () => {
    const { cookie } = await cookieLogin();
    const other = await cookieLogin();
    const untouched = await sessionRow(other.sid);
    const response = await post('/auth/refresh', { json: { refresh_token: cookie }, cookie: other.cookie, origin: OTHER_ORIGIN });
    expect(response.status).toBe(200);
    expect((await response.json()).refresh_token).toMatch(/^[A-Za-z0-9_-]{70}$/);
    expect(setCookie(response)).toBeUndefined();
    expect(await sessionRow(other.sid)).toEqual(untouched);
  });

  test('CSRF: from another origin, without an Origin, or from another site: 403, and the token is not spent', async () => {
    const { cookie, sid } = await cookieLogin();
    const before = await sessionRow(sid);
    for (const send of [{ origin: OTHER_ORIGIN }, { origin: null }, { origin: 'null' }, { site: 'cross-site' }, { origin: 'http://localhost:5173.evil.example' }]) {
      const response = await post('/auth/refresh', { cookie, ...send });
      expect(response.status, JSON.stringify(send)).toBe(403);
      expect((await response.json()).error).toBe('origin_not_allowed');
      expect(setCookie(response)).toBeUndefined();
    }
    // Not rotated (a refresh sets last_used_at), not revoked.
    expect(await sessionRow(sid)).toEqual(before);
    // The control: the same cookie from the allowed origin.
    expect((await post('/auth/refresh', { cookie })).status).toBe(200);
  });

  test('without a token in the body or a cookie: 422 naming refresh_token', async () => {
    const response = await post('/auth/refresh');
    expect(response.status).toBe(422);
    expect(Object.keys((await response.json()).fields)).toEqual(['refresh_token']);
  });

  test('grace: the spent cookie presented again at once gets the same successor (a second tab)', async () => {
    const { cookie } = await cookieLogin();
    const first = setCookie(await post('/auth/refresh', { cookie }))!.value;
    const again = await post('/auth/refresh', { cookie });
    expect(again.status).toBe(200);
    expect(setCookie(again)!.value).toBe(first);
  });

  test('reuse: a spent cookie presented after the grace revokes the session, and its successor stops working', async () => {
    const { cookie, sid, access } = await cookieLogin();
    const successor = setCookie(await post('/auth/refresh', { cookie }))!.value;
    await ageSpentTokens(sid, 60);
    const reused = await post('/auth/refresh', { cookie });
    expect(reused.status).toBe(401);
    expect((await reused.json()).error).toBe('invalid_grant');
    expect((await sessionRow(sid)).revoked).toBe(true);
    expect((await post('/auth/refresh', { cookie: successor })).status).toBe(401);
    expect((await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
  });

  test('max age: a session past SESSION_MAX_AGE is not refreshed by its cookie', async () => {
    const { cookie, sid } = await cookieLogin();
    await withDb((db) => db.query("update sessions set created_at = created_at - interval '89 days 23 hours' where id = $1", [sid]));
    const near = await post('/auth/refresh', { cookie });
    expect(near.status).toBe(200);
    const left = (await near.json()).refresh_expires_in;
    expect(left).toBeLessThanOrEqual(3600);
    // The cookie lives no longer than the session can.
    expect(setCookie(near)!.attributes).toContain(`Max-Age=${left}`);
    await withDb((db) => db.query("update sessions set created_at = created_at - interval '2 hours' where id = $1", [sid]));
    expect((await post('/auth/refresh', { cookie: setCookie(near)!.value })).status).toBe(401);
  });
});

test.describe('POST /auth/logout with the cookie', () => {
  test('with the cookie alone: 204, the cookie cleared, the session ended; the cookie replayed afterwards is refused', async () => {
    const { cookie, sid, access } = await cookieLogin();
    const response = await post('/auth/logout', { cookie });
    expect(response.status).toBe(204);
    const cleared = setCookie(response)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toContain('Max-Age=0');
    expect(cleared.attributes).toContain('Path=/auth');
    expect((await sessionRow(sid)).revoked).toBe(true);
    const replay = await post('/auth/refresh', { cookie });
    expect(replay.status).toBe(401);
    expect((await replay.json()).error).toBe('invalid_grant');
    expect((await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
    // Again with the dead cookie: nothing left to end, the cookie is cleared all the same.
    const again = await post('/auth/logout', { cookie });
    expect(again.status).toBe(204);
    expect(setCookie(again)!.attributes).toContain('Max-Age=0');
  });

  test('scope all with the cookie ends every session of the user', async () => {
    const first = await cookieLogin();
    const second = await cookieLogin(first.email);
    expect((await post('/auth/logout', { cookie: first.cookie, json: { scope: 'all' } })).status).toBe(204);
    expect((await sessionRow(second.sid)).revoked).toBe(true);
  });

  test('CSRF: from another origin, without an Origin, or from another site: 403, and the session lives on', async () => {
    const { cookie, sid } = await cookieLogin();
    for (const send of [{ origin: OTHER_ORIGIN }, { origin: null }, { site: 'cross-site' }]) {
      const response = await post('/auth/logout', { cookie, ...send });
      expect(response.status, JSON.stringify(send)).toBe(403);
      expect((await response.json()).error).toBe('origin_not_allowed');
    }
    expect((await sessionRow(sid)).revoked).toBe(false);
    expect((await post('/auth/refresh', { cookie })).status).toBe(200);
  });

  test('with a bearer token (and the cookie): the token decides, and the cookie is cleared', async () => {
    const { access, sid, cookie } = await cookieLogin();
    const other = await cookieLogin();
    const response = await post('/auth/logout', { bearer: access, cookie: other.cookie, origin: null });
    expect(response.status).toBe(204);
    expect(setCookie(response)!.attributes).toContain('Max-Age=0');
    expect((await sessionRow(sid)).revoked).toBe(true);
    expect((await sessionRow(other.sid)).revoked).toBe(false);
    expect((await post('/auth/refresh', { cookie })).status).toBe(401);
  });

  test('with neither a token nor the cookie: 401 from the proxy', async () => {
    const response = await post('/auth/logout');
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('unauthorized');
  });
});

test('CORS preflight: credentials for a listed origin only, exact match, never *', async () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/auth/refresh`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  const allowed = await preflight(ORIGIN);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
  expect(allowed.headers.get('vary')).toMatch(/Origin/);
  for (const origin of [OTHER_ORIGIN, `${ORIGIN}/`, 'http://LOCALHOST:5173', 'null']) {
    const refused = await preflight(origin);
    expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
    expect(refused.headers.get('access-control-allow-credentials'), origin).toBeNull();
  }
});

test('the second step of a two-factor login (POST /auth/login/2fa) takes refresh_cookie too, held to the same origin check', async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL: server.url });
  try {
    const email = await register();
    const login = await (await post('/auth/login', { json: { email, password: PASSWORD }, origin: null })).json();
    const { secret } = await enableTwoFactor(api, { token: login.access_token, password: PASSWORD });
    await forgetLastStep(decodeJwt(login.access_token).sub as string);
    const json = { mfa_token: await mfaToken(api, email, PASSWORD), code: totpCode(secret), refresh_cookie: true };
    // From an unlisted origin: 403 before the step runs (the mfa_token and the code are not used up).
    const refused = await post('/auth/login/2fa', { json, origin: OTHER_ORIGIN });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toBe('origin_not_allowed');
    const response = await post('/auth/login/2fa', { json });
    expect(response.status).toBe(200);
    expect((await response.json()).refresh_token).toBeUndefined();
    const cookie = setCookie(response)!;
    expect(cookie.attributes).toContain('HttpOnly');
    expect((await post('/auth/refresh', { cookie: cookie.value })).status).toBe(200);
  } finally {
    await api.dispose();
  }
});
