import { expect, test } from '../support/fixtures';

test.describe('routing', () => {
  test('GET /health answers ok when the database answers', async ({ api }) => {
    const response = await api.get('/health');
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
    expect(response.headers()['cache-control']).toBe('no-store');
  });

  // /reset-password: in production the pages mail links open are the front end's, not hints (see dev.spec.ts).
  for (const path of ['/nope', '/auth', '/auth/register/extra', '/reset-password?token=x', '/verify-email']) {
    test(`unknown path ${path} answers a JSON 404`, async ({ api }) => {
      const response = await api.post(path);
      expect(response.status()).toBe(404);
      expect(response.headers()['content-type']).toContain('application/json');
      expect(await response.json()).toEqual({ error: 'not_found', message: expect.any(String) });
      const get = await api.get(path);
      expect(get.status()).toBe(404);
      expect(await get.json()).toEqual({ error: 'not_found', message: expect.any(String) });
    });
  }

  const wrongMethods: [string, string, string][] = [
    ['GET', '/auth/register', 'POST'],
    ['DELETE', '/auth/login', 'POST'],
    ['PUT', '/health', 'GET, HEAD'],
  ];
  for (const [method, path, allowed] of wrongMethods) {
    test(`${method} ${path} answers a JSON 405 with Allow: ${allowed}`, async ({ api }) => {
      const response = await api.fetch(path, { method });
      expect(response.status()).toBe(405);
      expect(response.headers()['allow']).toBe(allowed);
      expect(await response.json()).toEqual({ error: 'method_not_allowed', message: expect.stringContaining(allowed) });
    });
  }

  test('HEAD works wherever GET does (uptime monitors use it)', async ({ api }) => {
    for (const path of ['/health', '/']) expect((await api.head(path)).status()).toBe(200);
  });

  test('GET / describes the service', async ({ api }) => {
    const response = await api.get('/');
    expect(response.status()).toBe(200);
    expect(await response.json()).toMatchObject({ service: 'neon-next-auth' });
  });

  test('no framework banner', async ({ api }) => {
    const response = await api.get('/health');
    expect(response.headers()['x-powered-by']).toBeUndefined();
  });
});
