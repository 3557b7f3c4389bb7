import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { allEndpoints } from '../../lib/api/endpoints';
import { guardOf, needsUser } from '../../lib/api/guarded-paths';

/** A concrete request path for a declared one: each {parameter} filled with a sample value. */
const sample = (path: string) => path.replace(/\{\w+\}/g, '0b9c1c1e-4a6f-4a55-9d3c-1f1f2b2b3c3c');

test('proxy.ts covers all of /auth, and every endpoint that needs a user lives under it', () => {
  // Read as text: Next.js reads the matcher statically from the source, and so does this test.
  const matcher = /matcher:\s*\[([^\]]*)\]/.exec(fs.readFileSync('proxy.ts', 'utf8'))?.[1] ?? '';
  expect([...matcher.matchAll(/'([^']+)'/g)].map((m) => m[1])).toEqual(['/auth/:path*']);
  for (const endpoint of allEndpoints.filter((e) => e.auth !== undefined)) {
    expect(endpoint.path, `${endpoint.method} ${endpoint.path}`).toMatch(/^\/auth\//);
  }
});

test('the proxy guards exactly the paths of the endpoints declared with auth, as Next.js routes them', () => {
  const guarded = allEndpoints.filter((e) => e.auth !== undefined);
  expect(guarded.map((e) => e.path)).toEqual(expect.arrayContaining(['/auth/me', '/auth/sessions/{id}', '/auth/logout']));
  for (const { method, path, auth } of guarded) {
    const url = sample(path);
    expect(needsUser(url), `${method} ${path}`).toBe(true);
    // Logout alone may be authenticated by the refresh cookie; every other guarded path needs a token.
    expect(guardOf(url), `${method} ${path}`).toBe(auth);
    // The spellings Next.js routes to the same handler: a trailing slash, percent-encoded letters.
    expect(needsUser(`${url}/`), `${url}/`).toBe(true);
    expect(needsUser(url.replace(/[a-z]$/, (c) => `%${c.charCodeAt(0).toString(16)}`)), `${url} encoded`).toBe(true);
  }
  expect(guardOf('/auth/logout')).toBe('user-or-refresh-cookie');
  expect(guardOf('/auth/me')).toBe('user');
  for (const { method, path } of allEndpoints.filter((e) => e.auth === undefined)) {
    expect(needsUser(sample(path)), `${method} ${path}`).toBe(false);
  }
  // A parameter stands for one segment, not for a deeper path or none.
  expect(needsUser('/auth/me/extra')).toBe(false);
  expect(needsUser('/auth/sessions/a/b')).toBe(false);
  expect(needsUser('/auth/nothing-here')).toBe(false);
  expect(needsUser('/auth/%ZZ')).toBe(false);
});

test('no path is protected for one method and public for another (the proxy guards whole paths)', () => {
  const guards = new Map(allEndpoints.filter((e) => e.auth !== undefined).map((e) => [e.path, e.auth]));
  expect(allEndpoints.filter((e) => guards.has(e.path) && e.auth !== guards.get(e.path)).map((e) => `${e.method} ${e.path}`)).toEqual([]);
});

test('every {parameter} of a path has a schema, and every declared parameter is in the path', () => {
  for (const endpoint of allEndpoints) {
    const inPath = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(endpoint.params ?? {}).sort(), `${endpoint.method} ${endpoint.path}`).toEqual(inPath);
  }
});

test('every declared endpoint has a route file that binds it, and every route file binds declarations', () => {
  for (const endpoint of allEndpoints) {
    const folder = endpoint.path.replace(/\{(\w+)\}/g, '[$1]');
    const file = `app${folder === '/' ? '' : folder}/route.ts`;
    expect(fs.existsSync(file), `${endpoint.method} ${endpoint.path}: ${file}`).toBe(true);
    expect(fs.readFileSync(file, 'utf8'), file).toMatch(/on\(endpoints\.\w+/);
  }
});

test('one declaration per method and path', () => {
  const keys = allEndpoints.map((e) => `${e.method} ${e.path}`);
  expect(new Set(keys).size).toBe(keys.length);
});

test('the README API table lists exactly the declared endpoints, each with its success status', () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('## The API'));
  const rows = [...table.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \|(?:\\\||[^|])*\| (\d{3})/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  const declared = allEndpoints.map((e) => `${e.method} ${e.path} ${e.ok.status}`);
  expect(rows.sort()).toEqual(declared.sort());
});

test("the README API table's error column names exactly the endpoint's own error statuses", () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('## The API'));
  // Answers every endpoint may give, stated once above and below the table rather than in each row.
  const everywhere = new Set([400, 405, 413, 415, 500, 503]);
  for (const row of table.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \|(.*)$/gm)) {
    const endpoint = allEndpoints.find((e) => e.method === row[1] && e.path === row[2])!;
    const columns = row[3]!.split(/(?<!\\)\|/);
    const listed = new Set([...columns[columns.length - 2]!.matchAll(/\b([45]\d\d)\b/g)].map((m) => Number(m[1])));
    const declared = new Set((endpoint.errors ?? []).map((e) => (typeof e === 'number' ? e : e.status)));
    // What the declaration implies without listing it: 401 for a signed-in endpoint, 422 for input.
    if (endpoint.auth) declared.add(401);
    if (endpoint.body || endpoint.params) declared.add(422);
    const own = [...declared].filter((status) => status >= 400 && !everywhere.has(status));
    expect([...listed].filter((status) => !everywhere.has(status)).sort(), `${row[1]} ${row[2]}`).toEqual(
      own.filter((status) => listed.has(status) || status !== 422).sort(),
    );
  }
});
