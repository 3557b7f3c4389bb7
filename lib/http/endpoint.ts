/**
 * Binds a handler to its declaration in lib/api/endpoints.ts and makes a route file's exports:
 *
 *   export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
 *     on(endpoints.me, async ({ user }) => user),
 *   );
 *
 * For each declared endpoint: the user is authenticated first when it says `auth: 'user'` (the handler
 * then receives `user` and `sessionId`), the body is read and validated with its schemas, and what the
 * handler returns is answered as JSON with the declared status (or as it is, if it is a Response).
 * Every other method answers a JSON 405 with Allow; OPTIONS answers CORS preflights; HEAD mirrors GET.
 */
import type { NextRequest } from 'next/server';
import type { z } from 'zod';
import { schemas, type Endpoint, type Method, type SchemaName } from '../api/endpoints';
import { requireUser, type Authenticated } from '../auth/flows/guard';
import { isForm, readBody } from './body';
import { preflight, withCors } from './cors';
import { methodNotAllowed } from './errors';
import { errorResponse, json, noContent, SECURITY_HEADERS } from './respond';
import { toErrorResponse } from './error-response';
import { validate } from './validate';

type Output<N> = N extends SchemaName ? z.output<(typeof schemas)[N]> : never;
type BodyOf<E extends Endpoint> = E['body'] extends { json: infer J; form?: infer F } ? Output<J> | Output<F> : undefined;
type UserOf<E extends Endpoint> = E['auth'] extends 'user' ? Authenticated : { user?: undefined; sessionId?: undefined };

export type Context<E extends Endpoint> = { request: NextRequest; body: BodyOf<E> } & UserOf<E>;
type Handler<E extends Endpoint> = (context: Context<E>) => Promise<unknown>;
type RouteHandler = (request: NextRequest) => Promise<Response>;

export type Implementation = { endpoint: Endpoint; run: RouteHandler };

/** One endpoint's handler, wrapped: authentication, body, validation, answer, errors, CORS. */
export function on<E extends Endpoint>(endpoint: E, handler: Handler<E>): Implementation {
  const run: RouteHandler = async (request) => {
    try {
      const auth = endpoint.auth === 'user' ? await requireUser(request) : {};
      const body = endpoint.body ? await readDeclaredBody(request, endpoint.body) : undefined;
      const result = await handler({ request, body, ...auth } as Context<E>);
      if (result instanceof Response) return withCors(request, result);
      return withCors(request, endpoint.ok.status === 204 ? noContent() : json(result, endpoint.ok.status));
    } catch (error) {
      return withCors(request, toErrorResponse(error, request));
    }
  };
  return { endpoint, run };
}

async function readDeclaredBody(request: NextRequest, declared: NonNullable<Endpoint['body']>): Promise<unknown> {
  // An optional body may be left out entirely (no Content-Type): validate an empty object then.
  if (declared.optional && !request.headers.has('content-type')) return validate(schemas[declared.json], {});
  const raw = await readBody(request, { form: declared.form !== undefined });
  const schema = declared.form && isForm(request) ? schemas[declared.form] : schemas[declared.json];
  return validate(schema, raw);
}

const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
type Exports = Record<Method | 'HEAD' | 'OPTIONS', RouteHandler>;

/** The exports of one route file (one path): its endpoints' methods, and JSON 405 for the rest. */
export function route(...implementations: Implementation[]): Exports {
  const byMethod = new Map(implementations.map((i) => [i.endpoint.method, i.run]));
  const allowed = [...byMethod.keys()].flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
  const refuse: RouteHandler = async (request) => withCors(request, errorResponse(methodNotAllowed(allowed)));
  const exports = Object.fromEntries(METHODS.map((m) => [m, byMethod.get(m) ?? refuse])) as Exports;
  const get = byMethod.get('GET');
  // HEAD is GET without the body (Next.js would derive it, but only when HEAD is not exported).
  exports.HEAD = get
    ? async (request) => {
        const answer = await get(request);
        return new Response(null, { status: answer.status, headers: answer.headers });
      }
    : refuse;
  exports.OPTIONS = async (request) => preflight(request, allowed, SECURITY_HEADERS);
  return exports;
}
