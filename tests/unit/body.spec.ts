import { test, expect } from '@playwright/test';
import nextConfig from '../../next.config';
import { MAX_BODY_BYTES, readBody, requireDeclaredLength } from '../../lib/http/body';
import { HttpError } from '../../lib/http/errors';

const post = (body: string, headers: Record<string, string>) =>
  new Request('http://localhost/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

async function statusOf(work: () => unknown): Promise<number | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return error.status;
    throw error;
  }
}

test.describe('bodies cut short on their way', () => {
  test('a body shorter than its Content-Length is refused (413), even when what arrived parses', async () => {
    // What a route behind proxy.ts gets when Next.js cut the body at its cap.
    expect(await statusOf(() => readBody(post('{"scope":"all"}', { 'content-length': '9000' })))).toBe(413);
    expect(await readBody(post('{"scope":"all"}', { 'content-length': '15' }))).toEqual({ scope: 'all' });
  });

  test('a body of undeclared length (chunked) is refused (411); a declared one, or none, passes', async () => {
    expect(await statusOf(() => requireDeclaredLength(post('{}', { 'transfer-encoding': 'chunked' })))).toBe(411);
    expect(await statusOf(() => requireDeclaredLength(post('{}', { 'content-length': '2' })))).toBeUndefined();
    expect(await statusOf(() => requireDeclaredLength(new Request('http://localhost/auth/logout', { method: 'POST' })))).toBeUndefined();
  });

  test("Next.js's cap on the bodies proxy.ts sees is at least what a route accepts, so no accepted body is cut", () => {
    // next.config.ts keeps its own figure (it must load without the app's modules): twice the route's cap.
    expect(nextConfig.experimental?.proxyClientMaxBodySize).toBe(2 * MAX_BODY_BYTES);
  });
});
