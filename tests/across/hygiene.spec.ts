import { expect, test } from '../support/fixtures';
import { serverEnv, startServer } from '../support/server';

test.describe('response hygiene', () => {
  test('every auth answer, success or error, is no-store, nosniff and without a framework banner', async ({ api, account }) => {
    const answers = [
      await api.post('/auth/register', { data: {} }),
      await api.post('/auth/login', { data: { email: account.email, password: account.password } }),
      await api.post('/auth/login', { data: { email: account.email, password: 'wrong password' } }),
      await api.get('/auth/me', { headers: { authorization: `Bearer ${account.token}` } }),
      await api.get('/auth/me'),
      await api.post('/auth/refresh', { data: { refresh_token: 'x' } }),
      await api.get('/auth/login'),
      await api.get('/no/such/path'),
    ];
    for (const response of answers) {
      const headers = response.headers();
      expect(headers['cache-control'], response.url()).toBe('no-store');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-powered-by']).toBeUndefined();
      expect(headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  test('CORS is off by default: a preflight gets no grant', async ({ api }) => {
    const response = await api.fetch('/auth/login', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(response.status()).toBe(204);
    expect(response.headers()['access-control-allow-origin']).toBeUndefined();
  });

  test('CORS opens only for the origins in CORS_ORIGINS', async () => {
    const server = await startServer(serverEnv({ CORS_ORIGINS: 'https://app.example, http://localhost:5173' }));
    try {
      const preflight = await fetch(`${server.url}/auth/me`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
      expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, DELETE');
      // Credentials mode for a listed origin: the refresh cookie (tests/across/refresh-cookie.spec.ts).
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');

      // The answers themselves, including the guard's 401, carry the grant, so the page can read them.
      const denied = await fetch(`${server.url}/auth/me`, { headers: { origin: 'https://app.example' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(denied.headers.get('vary')).toMatch(/origin/i);
      const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' }, body: '{}' });
      expect(login.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');

      // An origin not on the list gets nothing.
      const other = await fetch(`${server.url}/auth/login`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const otherPost = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
      expect(otherPost.headers.get('access-control-allow-origin')).toBeNull();
      expect(otherPost.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await server.stop();
    }
  });
});
