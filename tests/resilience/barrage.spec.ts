import { generateKeyPairSync, randomUUID } from 'node:crypto';
import net from 'node:net';
import { decodeJwt, SignJWT } from 'jose';
import { expect, PASSWORD, test, withDb } from '../support/fixtures';
import { openRequest, type RawResponse } from '../support/raw-http';
import { signToken, unsignedToken } from '../support/tokens';

/**
 * Several hundred malformed requests to every route. Every answer must be a 4xx in the standard JSON
 * shape, the server must stay up, and the users table must hold exactly the rows that the few valid
 * requests mixed in created.
 */
type Probe = { name: string; method: string; path: string; headers?: Record<string, string>; body?: string | Buffer };

const POST_ROUTES = [
  '/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/password',
  '/auth/password/forgot', '/auth/password/reset', '/auth/email/verify', '/auth/email/resend',
  '/auth/login/2fa', '/auth/2fa/totp/setup', '/auth/2fa/totp/confirm', '/auth/2fa/recovery-codes',
];

/** Codes that are not 6 ASCII digits (or are, where nothing is pending): never a 2xx, never a 5xx. */
const badCodes: unknown[] = [
  1, 123456, true, null, [], {}, '', '12345', '1234567', 'abcdef', '１２３４５６', '١٢٣٤٥٦', '12 34 5', '123456\n', "' or 1=1",
  '0x1E240', '1e5', '-12345', '\u0000123456', '9'.repeat(5000), 'aaaaa-aaaaa',
];
const TAG = 'barrage';

const badJson = ['{', '{"email":', 'nul', '[1,2', '{"a":1}}', "{'email':'a'}", 'undefined', '\u0000', '{"email":"a"', '"', '{"__proto__":', '0x1F', 'NaN', '{"email":"\\ud800"', ''];

const badEmails: unknown[] = [
  1, true, null, [], {}, '', ' ', '@', 'a@', '@b.co', 'a@b', `${TAG}@`, `${TAG}@@x.co`, `${TAG} x@x.co`,
  `${TAG}\u0000@x.co`, `${TAG}@exa\u0000mple.com`, `ü${TAG}@exämple.com`, `${TAG}\u202e@x.co`, `${TAG}\u200d@x.co`,
  `${TAG}😀@x.co`, `${TAG}＠x.co`, `"${TAG}"@x.co`, `${TAG}@x..co`, `${TAG}@-x.co`, `${'a'.repeat(250)}${TAG}@x.co`,
  `${TAG}' OR 1=1 --@x.co`, `${TAG}@x.co'; drop table users; --`, `${TAG}@x.co\r\nX-Injected: 1`, `<script>${TAG}</script>@x.co`,
  `${TAG}@x.co\n`, `${TAG}@[127.0.0.1]`, `${TAG}%40x.co`,
];
const badPasswords: unknown[] = [1, true, null, [], {}, '', 'short', 'x'.repeat(73), '\u0000'.repeat(10), `pass\u0000word-${TAG}`, '🔑'.repeat(19), 'é'.repeat(37)];

function deep(depth: number): string {
  return `${'{"email":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

async function badTokens(account: { id: string; token: string }): Promise<[string, string][]> {
  const sid = decodeJwt(account.token).sid as string;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: account.id, sid };
  return [
    ['alg none', unsignedToken({ ...claims, iss: 'neon-next-auth', aud: 'neon-next-auth-api', exp: now + 600 })],
    ['HS512', await signToken(claims, { alg: 'HS512' })],
    ['RS256', await new SignJWT({ ...claims, iss: 'neon-next-auth', aud: 'neon-next-auth-api', jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).setIssuedAt().setExpirationTime('5m').sign(rsa.privateKey)],
    ['unknown kid', await new SignJWT({ ...claims, iss: 'neon-next-auth', aud: 'neon-next-auth-api', jti: randomUUID() }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'nope' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode('k'.repeat(40)))],
    ['another secret', await signToken(claims, { secret: 'another secret that is long enough!!' })],
    ['expired', await signToken(claims, { expiresIn: -120 })],
    ['not yet valid', await signToken({ ...claims, nbf: now + 3600 })],
    ['expired long ago, iat in the future', await signToken({ ...claims, exp: now - 60, iat: now + 3600 })],
    ['sub not a uuid', await signToken({ sub: "' or 1=1 --", sid })],
    ['sid not a uuid', await signToken({ sub: account.id, sid: 'x' })],
    ['no sid', await signToken({ sub: account.id })],
    ['unknown user', await signToken({ sub: randomUUID(), sid })],
    ['truncated', account.token.slice(0, -10)],
    ['tampered header', `e30.${account.token.split('.').slice(1).join('.')}`],
    ['empty parts', '..'],
    ['huge', 'a'.repeat(8000)],
  ];
}

const AUTH_HEADERS = ['Bearer', 'Bearer  ', 'Bearer a b', 'bearer', 'Basic dXNlcjpwYXNz', 'Digest x', 'Bearer %00', 'Bearer {"a":1}', 'Bearer ' + 'x'.repeat(5000) + ' y', 'Token abc'];

function probes(tokens: [string, string][], validToken: string): Probe[] {
  const list: Probe[] = [];
  const json = { 'content-type': 'application/json' };
  for (const path of POST_ROUTES) {
    for (const body of badJson) list.push({ name: `${path} invalid JSON ${JSON.stringify(body)}`, method: 'POST', path, headers: json, body });
    for (const email of badEmails) list.push({ name: `${path} email ${JSON.stringify(email)?.slice(0, 40)}`, method: 'POST', path, headers: json, body: JSON.stringify({ email, password: PASSWORD, refresh_token: email, current_password: email, new_password: 1, token: email }) });
    for (const password of badPasswords) list.push({ name: `${path} password ${JSON.stringify(password)?.slice(0, 40)}`, method: 'POST', path, headers: json, body: JSON.stringify({ email: `x-${TAG}@`, password, refresh_token: password, current_password: password, new_password: password, token: password }) });
    list.push(
      { name: `${path} missing fields`, method: 'POST', path, headers: json, body: '{}' },
      { name: `${path} extra field`, method: 'POST', path, headers: json, body: JSON.stringify({ email: `x-${TAG}@x.co`, password: 'x', is_admin: true, scope: 'root' }) },
      { name: `${path} array`, method: 'POST', path, headers: json, body: '[]' },
      { name: `${path} deep nesting`, method: 'POST', path, headers: json, body: deep(2000) },
      { name: `${path} very deep nesting`, method: 'POST', path, headers: json, body: '['.repeat(8000) + ']'.repeat(8000) },
      { name: `${path} 17 KiB`, method: 'POST', path, headers: json, body: JSON.stringify({ email: `${TAG}@x.co`, password: 'p'.repeat(17 * 1024) }) },
      { name: `${path} 1 MiB`, method: 'POST', path, headers: json, body: Buffer.alloc(1024 * 1024, 'a') },
      { name: `${path} invalid UTF-8`, method: 'POST', path, headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
      { name: `${path} latin1 charset`, method: 'POST', path, headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' },
    );
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', '']) {
      list.push({ name: `${path} content type ${JSON.stringify(type)}`, method: 'POST', path, headers: type ? { 'content-type': type } : {}, body: '{"email":"a"}' });
    }
    list.push({ name: `${path} no body at all`, method: 'POST', path, headers: {} });
    list.push({ name: `${path} duplicate form fields`, method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&username=b&password=x&grant_type=password&grant_type=refresh_token' });
  }
  for (const code of badCodes) {
    const auth = { authorization: `Bearer ${validToken}`, 'content-type': 'application/json' };
    const shown = JSON.stringify(code)?.slice(0, 30);
    list.push(
      { name: `POST /auth/2fa/totp/confirm code ${shown}`, method: 'POST', path: '/auth/2fa/totp/confirm', headers: auth, body: JSON.stringify({ code }) },
      { name: `DELETE /auth/2fa/totp code ${shown}`, method: 'DELETE', path: '/auth/2fa/totp', headers: auth, body: JSON.stringify({ password: PASSWORD, code }) },
      { name: `DELETE /auth/2fa/totp recovery_code ${shown}`, method: 'DELETE', path: '/auth/2fa/totp', headers: auth, body: JSON.stringify({ password: PASSWORD, recovery_code: code }) },
      { name: `POST /auth/login/2fa code ${shown}`, method: 'POST', path: '/auth/login/2fa', headers: json, body: JSON.stringify({ mfa_token: 'x'.repeat(43), code }) },
      { name: `POST /auth/login/2fa recovery_code ${shown}`, method: 'POST', path: '/auth/login/2fa', headers: json, body: JSON.stringify({ mfa_token: code, recovery_code: code }) },
    );
  }
  for (const [path, method] of [['/auth/me', 'GET'], ['/auth/me', 'DELETE'], ['/auth/logout', 'POST'], ['/auth/password', 'POST'], ['/auth/email/resend', 'POST'], ['/auth/2fa/totp/setup', 'POST'], ['/auth/2fa/totp', 'DELETE'], ['/auth/2fa/recovery-codes', 'POST']] as const) {
    const body = method === 'GET' ? undefined : JSON.stringify({ password: PASSWORD });
    for (const [name, token] of tokens) list.push({ name: `${method} ${path} token ${name}`, method, path, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    for (const header of AUTH_HEADERS) list.push({ name: `${method} ${path} Authorization ${JSON.stringify(header.slice(0, 30))}`, method, path, headers: { authorization: header, 'content-type': 'application/json' }, body });
  }
  // With the valid token: bodies DELETE /auth/me must refuse (the account must survive the barrage).
  for (const body of [...badJson.slice(0, 8), '{}', '{"password":1}', '{"password":""}', '{"password":"x","extra":1}', '[]']) {
    list.push({ name: `DELETE /auth/me body ${JSON.stringify(body).slice(0, 30)}`, method: 'DELETE', path: '/auth/me', headers: { authorization: `Bearer ${validToken}`, 'content-type': 'application/json' }, body });
  }
  for (const [path, method] of [['/auth/register', 'GET'], ['/auth/password/reset', 'GET'], ['/auth/email/verify', 'PUT'], ['/health', 'POST'], ['/', 'PATCH'], ['/openapi.json', 'PUT'], ['/auth', 'GET'], ['/../etc/passwd', 'GET'], ['/auth/%00', 'POST'], ['/auth/login%2f..', 'POST']] as const) {
    list.push({ name: `${method} ${path}`, method, path, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
  }
  return list;
}

/** Raw HTTP for what fetch refuses to send: CR/LF and NUL in headers, a lying Content-Length. */
function rawRequest(base: URL, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(base.port), base.hostname, () => socket.end(request));
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

test('a barrage of malformed requests gets only 4xx JSON answers, and writes nothing', async ({ api, account }) => {
  test.setTimeout(180_000);
  const base = new URL(process.env.TEST_BASE_URL!);
  const list = probes(await badTokens(account), account.token);
  const failures: string[] = [];
  const statuses = new Map<number, number>();

  // A few valid requests in the mix, whose rows must be there at the end, and no others.
  const valid = Array.from({ length: 5 }, (_, i) => `valid-${i}-${randomUUID().slice(0, 6)}@${TAG}.example`);
  const injectionPasswords = ["'; drop table users; --", '" OR ""="', '\u0000'.slice(1) + 'ok-password-😀', 'Robert\'); DROP TABLE users;--', '${jndi:ldap://x}'];

  let i = 0;
  const worker = async () => {
    for (let probe = list[i++]; probe; probe = list[i++]) {
      const response = await api.fetch(probe.path, { method: probe.method, headers: probe.headers, data: probe.body, failOnStatusCode: false, maxRedirects: 0 });
      const status = response.status();
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        body = undefined;
      }
      const shaped = !!body && typeof (body as { error?: unknown }).error === 'string' && typeof (body as { message?: unknown }).message === 'string';
      if (status < 400 || status > 499 || !shaped) failures.push(`${probe.name}: ${status} ${JSON.stringify(body)?.slice(0, 120)}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);

  for (const [n, email] of valid.entries()) {
    const response = await api.post('/auth/register', { data: { email, password: injectionPasswords[n]! } });
    expect(response.status()).toBe(201);
  }

  const raw = [
    `POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"a":1, "b": 2}`,
    `POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}`,
    `GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\nConnection: close\r\n\r\n`,
    `GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\rX-User-Id: 1\r\nConnection: close\r\n\r\n`,
    `POST /auth/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    `POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{}`,
  ];
  for (const request of raw) {
    const answer = await rawRequest(base, request);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    // Node's HTTP parser answers some of these itself (400, without a body); what matters is no 5xx and no hang.
    if (status < 400 || status > 499) failures.push(`raw ${JSON.stringify(request.slice(0, 60))}: ${answer.slice(0, 80)}`);
  }

  const tried = list.length + raw.length;
  const fiveHundreds = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  test.info().annotations.push({ type: 'figure', description: `barrage: ${tried} malformed requests, ${fiveHundreds} answered 5xx, statuses ${JSON.stringify(Object.fromEntries(statuses))}` });
  expect(tried).toBeGreaterThan(300);
  expect(failures).toEqual([]);

  // The server is still up and still serves.
  expect((await api.get('/health')).status()).toBe(200);
  const me = await api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).two_factor_enabled).toBe(false);
  const rows = await withDb(async (db) => (await db.query(`select email from users where email ilike $1 order by email`, [`%${TAG}%`])).rows.map((r) => r.email));
  expect(rows).toEqual([...valid].sort());
  for (const [n, email] of valid.entries()) {
    expect((await api.post('/auth/login', { data: { email, password: injectionPasswords[n]! } })).status()).toBe(200);
  }
});

/**
 * What Next.js answers by itself before any route runs, sent byte for byte (fetch would tidy the paths
 * up): a path that is not valid percent-encoding (Next: a text/plain 500), its image optimiser
 * (`/_next/image` fetching the API's own routes), the 308 text redirects from `/path/` and `//path`,
 * methods no route knows, and requests Node's parser refuses. Each must answer the JSON error shape with
 * the headers the README promises.
 */
const EDGE: { method: string; path: string; body?: string }[] = [
  { method: 'GET', path: '/%ZZ' },
  { method: 'GET', path: '/auth/%E0%A4%A' },
  { method: 'POST', path: '/auth/login%', body: '{}' },
  { method: 'GET', path: '/health/%c0%af' },
  { method: 'GET', path: '/_next/image?url=/health&w=64&q=75' },
  { method: 'GET', path: '/_next/image?url=%2Fhealth' },
  { method: 'GET', path: '/_next/image?url=http://127.0.0.1/&w=16&q=1' },
  { method: 'GET', path: '/_next/static/chunks/nothing.js' },
  { method: 'GET', path: '/_next/data/x/index.json' },
  { method: 'POST', path: '/auth/login/', body: '{}' },
  { method: 'GET', path: '/health/' },
  { method: 'GET', path: '/auth/me/' },
  { method: 'GET', path: '//health' },
  { method: 'GET', path: '/auth//me' },
  { method: 'POST', path: '//auth/login', body: '{}' },
  { method: 'PROPFIND', path: '/auth/login' },
  { method: 'TRACE', path: '/health' },
  { method: 'SEARCH', path: '/' },
  { method: 'QUERY', path: '/auth/me' },
];

test('every answer at the edge is the JSON error shape with the security headers', async () => {
  const failures: string[] = [];
  for (const probe of EDGE) {
    const body = probe.body ?? '';
    const request = openRequest(process.env.TEST_BASE_URL!, {
      method: probe.method,
      path: probe.path,
      headers: { 'content-type': 'application/json' },
      contentLength: Buffer.byteLength(body),
    });
    await request.send(body);
    failures.push(...edgeProblems(`${probe.method} ${probe.path}`, await request.response));
  }
  // Refused by Node's HTTP parser before any route: an unknown method, a bad request line, a bad header.
  for (const raw of ['FOO /health HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n', 'GET /hea lth HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n']) {
    const answer = await rawRequest(new URL(process.env.TEST_BASE_URL!), raw);
    failures.push(...edgeProblems(`raw ${JSON.stringify(raw.slice(0, 30))}`, parseRaw(answer)));
  }
  expect(failures).toEqual([]);
  expect((await fetch(`${process.env.TEST_BASE_URL}/health`)).status).toBe(200);
});

function parseRaw(answer: string): RawResponse {
  const split = answer.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = (split < 0 ? answer : answer.slice(0, split)).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).trim().toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: split < 0 ? '' : answer.slice(split + 4) };
}

function edgeProblems(name: string, response: RawResponse): string[] {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  const shaped = !!body && typeof (body as { error?: unknown }).error === 'string' && typeof (body as { message?: unknown }).message === 'string';
  const problems = [
    response.status >= 400 && response.status <= 499 ? '' : `status ${response.status}`,
    shaped ? '' : `body ${JSON.stringify(response.body.slice(0, 60))}`,
    /^application\/json\b/.test(response.headers['content-type'] ?? '') ? '' : `content-type ${response.headers['content-type']}`,
    response.headers['cache-control'] === 'no-store' ? '' : `cache-control ${response.headers['cache-control']}`,
    response.headers['x-content-type-options'] === 'nosniff' ? '' : 'no nosniff',
  ].filter(Boolean);
  return problems.length ? [`${name}: ${problems.join(', ')}`] : [];
}
