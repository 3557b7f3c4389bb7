import type { NextRequest } from 'next/server';
import { AuthFailure } from '../auth/errors';
import { describeForLog, isDatabaseUnavailable, stackForLog } from '../db/errors';
import { HttpError, internalError, methodNotAllowed, serviceUnavailable } from './errors';
import { preflight, withCors } from './cors';
import { errorResponse, SECURITY_HEADERS } from './respond';

type Handler = (request: NextRequest) => Promise<Response>;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

/** Turns any failure into the standard JSON error: 4xx as thrown, 503 for an outage, else 500. */
export function toErrorResponse(error: unknown, request: Request): Response {
  if (error instanceof HttpError) return errorResponse(error);
  // Temporary, until the edge maps every AuthFailure kind (lib/http/failures.ts, the lead's).
  if (error instanceof AuthFailure && error.kind === 'server_busy') {
    return errorResponse(
      new HttpError(503, 'server_busy', 'Too many password checks in progress. Try again shortly.', {
        'Retry-After': String(error.retryAfter ?? 2),
      }),
    );
  }
  const where = `${request.method} ${new URL(request.url).pathname}`;
  if (isDatabaseUnavailable(error)) {
    console.error(`${where}: database unavailable: ${describeForLog(error)}`);
    return errorResponse(serviceUnavailable());
  }
  // Never the request body or headers: they hold passwords and tokens.
  console.error(`${where}: unexpected error: ${describeForLog(error)}\n${stackForLog(error)}`);
  return errorResponse(internalError());
}

/** Wraps a route handler so that it always answers JSON, whatever it throws (and CORS, if on). */
export function handle(handler: Handler): Handler {
  return async (request) => {
    try {
      return withCors(request, await handler(request));
    } catch (error) {
      return withCors(request, toErrorResponse(error, request));
    }
  };
}

/**
 * JSON 405 (with Allow) for the methods a route does not implement (without these Next.js answers an
 * empty 405), and OPTIONS for CORS preflights.
 * Use: `export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods('POST');`
 */
export function otherMethods(...allowed: Method[]): Record<Method | 'OPTIONS', Handler> {
  // Next.js answers HEAD from GET by itself where a route exports GET and no HEAD.
  const answers = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  const answer: Handler = async (request) => withCors(request, errorResponse(methodNotAllowed(answers)));
  const handlers = Object.fromEntries(METHODS.filter((m) => !answers.includes(m)).map((m) => [m, answer])) as Record<Method | 'OPTIONS', Handler>;
  handlers.OPTIONS = async (request) => preflight(request, answers, SECURITY_HEADERS);
  return handlers;
}
