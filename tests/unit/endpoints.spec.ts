import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { allEndpoints } from '../../lib/api/endpoints';

test('proxy.ts guards exactly the paths of the endpoints declared with auth: "user"', () => {
  const protectedPaths = [...new Set(allEndpoints.filter((e) => e.auth === 'user').map((e) => e.path))].sort();
  // Read as text: Next.js reads the matcher statically from the source, and so does this test.
  const matcher = /matcher:\s*\[([^\]]*)\]/.exec(fs.readFileSync('proxy.ts', 'utf8'))?.[1] ?? '';
  const guarded = [...matcher.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  expect(guarded.sort()).toEqual(protectedPaths);
  // And no path is both protected and public for some method: the proxy guards whole paths.
  const publicPaths = new Set(allEndpoints.filter((e) => e.auth !== 'user').map((e) => e.path));
  expect(protectedPaths.filter((p) => publicPaths.has(p))).toEqual([]);
});

test('every declared endpoint has a route file that binds it, and every route file binds declarations', () => {
  for (const endpoint of allEndpoints) {
    const file = `app${endpoint.path === '/' ? '' : endpoint.path}/route.ts`;
    expect(fs.existsSync(file), `${endpoint.method} ${endpoint.path}: ${file}`).toBe(true);
    expect(fs.readFileSync(file, 'utf8'), file).toMatch(/on\(endpoints\.\w+/);
  }
});

test('one declaration per method and path', () => {
  const keys = allEndpoints.map((e) => `${e.method} ${e.path}`);
  expect(new Set(keys).size).toBe(keys.length);
});
