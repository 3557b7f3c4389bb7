/**
 * lib/http/endpoint.ts on its own: what a declaration makes the wrapper do before and after the handler.
 * The lines marked @ts-expect-error are the compile-time half: `npm run lint` (tsc) fails if a handler
 * that breaks its declaration ever compiles.
 */
import { expect, test } from '@playwright/test';
import type { NextRequest } from 'next/server';
import { z } from 'zod';
import { endpoints, type Endpoint } from '../../lib/api/endpoints';
import { on, reply } from '../../lib/http/endpoint';

const item = {
  method: 'DELETE', path: '/things/{id}/parts/{n}', tag: 'service', summary: 'test',
  params: { id: z.uuid(), n: z.coerce.number().int().min(1) },
  ok: { status: 200, description: 'ok', schema: 'Message' },
  errors: [{ status: 202, description: 'later', schema: 'Message' }],
} as const satisfies Endpoint;

const ID = '0b9c1c1e-4a6f-4a55-9d3c-1f1f2b2b3c3c';
const call = (implementation: ReturnType<typeof on>, params: Record<string, string>) =>
  implementation.run(new Request(`http://localhost/things/${params.id}/parts/${params.n}`, { method: 'DELETE' }) as NextRequest, { params: Promise.resolve(params) });

test('path parameters reach the handler parsed and typed', async () => {
  let seen: unknown;
  const response = await call(
    on(item, async ({ params }) => {
      seen = params;
      const n: number = params.n;
      return { message: `part ${n} of ${params.id}` };
    }),
    { id: ID, n: '3' },
  );
  expect(response.status).toBe(200);
  expect(seen).toEqual({ id: ID, n: 3 });
  expect(await response.json()).toEqual({ message: `part 3 of ${ID}` });
});

test('a bad path parameter is a 422 naming it, and the handler never runs', async () => {
  let ran = false;
  const response = await call(
    on(item, async () => {
      ran = true;
      return { message: 'no' };
    }),
    { id: 'not-a-uuid', n: '0' },
  );
  expect(response.status).toBe(422);
  const body = await response.json();
  expect(body.error).toBe('validation_error');
  expect(Object.keys(body.fields).sort()).toEqual(['id', 'n']);
  expect(ran).toBe(false);
});

test('reply() answers another declared status; headers set by the handler are sent', async () => {
  const response = await call(
    on(item, async ({ headers }) => {
      headers.set('Cache-Control', 'public, max-age=60');
      headers.append('Set-Cookie', 'a=1');
      headers.append('Set-Cookie', 'b=2');
      return reply(202, { message: 'later' });
    }),
    { id: ID, n: '1' },
  );
  expect(response.status).toBe(202);
  expect(await response.json()).toEqual({ message: 'later' });
  expect(response.headers.get('cache-control')).toBe('public, max-age=60');
  expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
});

test('a handler is held to its declaration at compile time', () => {
  // The success shape is the declared schema's: a missing or mistyped field does not compile.
  // @ts-expect-error -- not a User
  on(endpoints.me, async () => ({}));
  // @ts-expect-error -- email must be a string
  on(endpoints.me, async ({ user }) => ({ ...user, email: 3 }));
  // @ts-expect-error -- a 204 answers nothing
  on(endpoints.logout, async () => ({ a: 1 }));
  // @ts-expect-error -- 203 is not a declared answer of register
  on(endpoints.register, async () => reply(203, { message: 'x' }));
  // @ts-expect-error -- the declared 202 body is a Message
  on(endpoints.register, async () => reply(202, { nope: 'x' }));
  // @ts-expect-error -- a public endpoint has no user
  on(endpoints.register, async ({ user }) => user.email);
  // And what the declarations allow compiles.
  on(endpoints.register, async () => reply(202, { message: 'x' }));
  on(endpoints.me, async ({ user }) => user);
  expect(endpoints.me.auth).toBe('user');
});
