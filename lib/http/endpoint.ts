/**
 * Binds a handler to its declaration in lib/api/endpoints.ts and makes a route file's exports:
 *
 *   export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
 *     on(endpoints.me, async ({ user }) => user),
 *   );
 *
 * For each declared endpoint: the user is authenticated first when it says `auth: 'user'` (the handler
 * then receives `user` and `sessionId`), the path parameters and the body are validated with their
 * schemas, and what the handler returns is answered as JSON with the declared status. The compiler
 * holds the handler to the declaration: it must return the `ok.schema` shape (nothing for 204), or
 * `reply(status, body)` for another answer the declaration lists with its schema; headers go on
 * `headers`. Every other method answers a JSON 405 with Allow; OPTIONS answers CORS preflights; HEAD
 * mirrors GET.
 */
import type { NextRequest } from 'next/server';
import { z } from 'zod';
import { schemas, type Endpoint, type Method, type SchemaName } from '../api/endpoints';
import { requireUser, type Authenticated } from '../auth/flows/guard';
import { sessionOfRefreshToken } from '../auth/store/sessions';
import { isForm, readBody } from './body';
import { preflight, withCors } from './cors';
import { hasRefreshCookie, refreshCookieOf, requireCookieOrigin } from './refresh-cookie';
import { asksForRefreshCookie } from './token-pair';
import { methodNotAllowed } from './errors';
import { errorResponse, json, noContent, SECURITY_HEADERS } from './respond';
import { toErrorResponse } from './error-response';
import { validate } from './validate';

type Output<N> = N extends SchemaName ? z.output<(typeof schemas)[N]> : never;
type BodyOf<E extends Endpoint> = E['body'] extends { json: infer J; form?: infer F } ? Output<J> | Output<F> : undefined;
/**
 * 'user-or-refresh-cookie': the session the bearer token or the refresh cookie belongs to; undefined
 * when the cookie's session has ended already (a bearer token of an ended session is a 401).
 */
export type SessionAuthenticated = { via: 'bearer' | 'refresh-cookie'; session: { userId: string; sessionId: string } | undefined };
type UserOf<E extends Endpoint> = E['auth'] extends 'user'
  ? Authenticated
  : E['auth'] extends 'user-or-refresh-cookie'
    ? SessionAuthenticated & { user?: undefined; sessionId?: undefined }
    : { user?: undefined; sessionId?: undefined };
type ParamsOf<E extends Endpoint> = E['params'] extends Record<string, z.ZodType> ? { [K in keyof E['params']]: z.output<E['params'][K]> } : undefined;

/** What the success answer carries: the `ok.schema` shape, nothing for 204, any JSON without a schema. */
type OkBody<E extends Endpoint> = E['ok'] extends { status: 204 } ? void : E['ok'] extends { schema: infer N } ? Output<N> : unknown;

declare const REPLY: unique symbol;
/** Another declared answer than the success one (`reply()`), with its status and body. */
export type Reply<S extends number = number, B = unknown> = { readonly [REPLY]: true; status: S; body: B; headers?: Record<string, string> };
/** The other answers the declaration lists with a schema of their own (not the standard Error). */
type RepliesOf<E extends Endpoint> = E['errors'] extends readonly (infer A)[]
  ? A extends { status: infer S extends number; schema: infer N }
    ? N extends 'Error' ? never : Reply<S, Output<N>>
    : never
  : never;

const replies = new WeakSet<object>();
/** Answers a declared non-success status with its declared body, e.g. `reply(202, { message })`. */
export function reply<const S extends number, B>(status: S, body: B, headers?: Record<string, string>): Reply<S, B> {
  const answer = { status, body, headers } as Reply<S, B>;
  replies.add(answer);
  return answer;
}

export type Context<E extends Endpoint> = {
  request: NextRequest;
  body: BodyOf<E>;
  params: ParamsOf<E>;
  /** Headers to add to the answer (a Set-Cookie, a Cache-Control). */
  headers: Headers;
} & UserOf<E>;
type Handler<E extends Endpoint> = (context: Context<E>) => Promise<OkBody<E> | RepliesOf<E>>;

/** What Next.js passes a route handler besides the request: the dynamic segments of the path. */
type RouteContext = { params: Promise<Record<string, string | string[] | undefined>> };
type RouteHandler = (request: NextRequest, context: RouteContext) => Promise<Response>;

export type Implementation = { endpoint: Endpoint; run: RouteHandler };

/** One endpoint's handler, wrapped: authentication, parameters, body, validation, answer, errors, CORS. */
export function on<const E extends Endpoint>(endpoint: E, handler: Handler<E>): Implementation {
  const paramsSchema = endpoint.params ? z.strictObject(endpoint.params) : undefined;
  const run: RouteHandler = async (request, context) => {
    try {
      const auth = await authenticate(endpoint, request);
      const params = paramsSchema ? validate(paramsSchema, await context.params) : undefined;
      const body = endpoint.body ? await readDeclaredBody(request, endpoint.body) : undefined;
      // A request that asks for the refresh cookie passes the cookie's CSRF check before anything runs.
      if (asksForRefreshCookie(body)) requireCookieOrigin(request);
      const headers = new Headers();
      const result: unknown = await handler({ request, body, params, headers, ...auth } as Context<E>);
      return withCors(request, withHeaders(answer(endpoint, result), headers));
    } catch (error) {
      return withCors(request, toErrorResponse(error, request));
    }
  };
  return { endpoint, run };
}

async function authenticate(endpoint: Endpoint, request: NextRequest): Promise<Authenticated | SessionAuthenticated | object> {
  if (endpoint.auth === 'user') return requireUser(request);
  if (endpoint.auth !== 'user-or-refresh-cookie') return {};
  // The bearer token when there is an Authorization header (or no cookie: then its 401), else the cookie.
  if (request.headers.has('authorization') || !hasRefreshCookie(request)) {
    const { user, sessionId } = await requireUser(request);
    return { via: 'bearer', session: { userId: user.id, sessionId } };
  }
  return { via: 'refresh-cookie', session: await sessionOfRefreshToken(refreshCookieOf(request)!) };
}

function answer(endpoint: Endpoint, result: unknown): Response {
  if (typeof result === 'object' && result !== null && replies.has(result)) {
    const { status, body, headers } = result as Reply;
    return json(body, status, headers);
  }
  return endpoint.ok.status === 204 ? noContent() : json(result, endpoint.ok.status);
}

/** The handler's headers replace the defaults of the same name (Set-Cookie adds). */
function withHeaders(response: Response, headers: Headers): Response {
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') response.headers.set(name, value);
  });
  for (const cookie of headers.getSetCookie()) response.headers.append('set-cookie', cookie);
  return response;
}

async function readDeclaredBody(request: NextRequest, declared: NonNullable<Endpoint['body']>): Promise<unknown> {
  // A body left out entirely (nothing sent, and no Content-Type unless the body is optional) is
  // validated as an empty object: an optional one passes, a required one is a 422 naming each field
  // it needs (not a 415 about types).
  if (!sendsBody(request) && (declared.optional || !request.headers.has('content-type'))) return validate(schemas[declared.json], {});
  const raw = await readBody(request, { form: declared.form !== undefined });
  const schema = declared.form && isForm(request) ? schemas[declared.form] : schemas[declared.json];
  return validate(schema, raw);
}

function sendsBody(request: Request): boolean {
  return Number(request.headers.get('content-length')) > 0 || request.headers.has('transfer-encoding');
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
    ? async (request, context) => {
        const answer = await get(request, context);
        return new Response(null, { status: answer.status, headers: answer.headers });
      }
    : refuse;
  exports.OPTIONS = async (request) => preflight(request, allowed, SECURITY_HEADERS);
  return exports;
}
