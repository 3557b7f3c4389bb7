import { countUsers, expect, PASSWORD, test, uniqueEmail } from '../support/fixtures';
import { expectLogged, REFUSED, serverBehindCuttableRelay } from '../support/outage';

const SHAPE = { error: expect.any(String), message: expect.any(String) };

test.describe('one error shape for bad requests', () => {
  for (const path of ['/auth/register', '/auth/login']) {
    test(`${path}: malformed JSON gets 400`, async ({ api }) => {
      const response = await api.post(path, { headers: { 'content-type': 'application/json' }, data: Buffer.from('{"email": ') });
      expect(response.status()).toBe(400);
      expect(await response.json()).toEqual({ ...SHAPE, error: 'malformed_json' });
    });

    test(`${path}: an unsupported content type gets 415`, async ({ api }) => {
      const response = await api.post(path, { headers: { 'content-type': 'text/plain' }, data: 'email=a@b.co' });
      expect(response.status()).toBe(415);
      expect(await response.json()).toEqual({ ...SHAPE, error: 'unsupported_media_type' });
    });

    test(`${path}: no content type gets 415`, async ({ api }) => {
      const response = await api.post(path, { data: Buffer.from('{}') });
      expect(response.status()).toBe(415);
      expect(await response.json()).toEqual({ ...SHAPE, error: 'unsupported_media_type' });
    });

    test(`${path}: a body over 16 KiB gets 413`, async ({ api }) => {
      const response = await api.post(path, { data: { email: uniqueEmail(), password: 'x'.repeat(17_000) } });
      expect(response.status()).toBe(413);
      expect(await response.json()).toEqual({ ...SHAPE, error: 'payload_too_large' });
    });

    test(`${path}: a JSON array or string instead of an object gets 422`, async ({ api }) => {
      for (const data of ['[]', '"text"', 'null', '42']) {
        const response = await api.post(path, { headers: { 'content-type': 'application/json' }, data: Buffer.from(data) });
        expect(response.status()).toBe(422);
        expect(await response.json()).toEqual({ ...SHAPE, error: 'validation_error', fields: expect.any(Object) });
      }
    });

    test(`${path}: wrong types get 422 naming the fields`, async ({ api }) => {
      const response = await api.post(path, { data: { email: 42, password: ['x'] } });
      expect(response.status()).toBe(422);
      expect(Object.keys((await response.json()).fields).sort()).toEqual(['email', 'password']);
    });
  }
});

test.describe('database down during register and login', () => {
  test('gets 503 at once, writes nothing, and works again once the database is back', async () => {
    const rig = await serverBehindCuttableRelay();
    const post = (path: string, data: unknown) =>
      fetch(`${rig.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
    try {
      const existing = uniqueEmail('before-outage');
      expect((await post('/auth/register', { email: existing, password: PASSWORD })).status).toBe(201);

      await rig.cut();
      const email = uniqueEmail('during-outage');
      for (const [path, data] of [
        ['/auth/register', { email, password: PASSWORD }],
        ['/auth/login', { email: existing, password: PASSWORD }],
      ] as const) {
        const response = await post(path, data);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        const body = await response.json();
        expect(body).toEqual({ error: 'service_unavailable', message: 'The database is unavailable. Try again shortly.' });
        // At once: the answer comes from the refused connection, not after a timeout.
        await expectLogged(rig.server, REFUSED(`POST ${path}`));
      }
      expect(rig.server.output()).not.toContain(PASSWORD);

      await rig.restore();
      expect(await countUsers(email)).toBe(0);
      expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
      expect((await post('/auth/login', { email: existing, password: PASSWORD })).status).toBe(200);
    } finally {
      await rig.stop();
    }
  });
});
