import { AuthFailure } from '../auth/errors';
import { describeForLog, isDatabaseUnavailable, stackForLog } from '../db/errors';
import { HttpError, internalError, serviceUnavailable } from './errors';
import { httpErrorFor } from './failures';
import { errorResponse } from './respond';

/**
 * Turns any failure into the standard JSON error, in one place: a domain failure as its table says
 * (lib/http/failures.ts), an HttpError as thrown (body parsing, validation), 503 for a database outage,
 * else 500. Logs say where, never the request's body or headers (they hold passwords and tokens).
 */
export function toErrorResponse(error: unknown, request: Request): Response {
  if (error instanceof AuthFailure) return errorResponse(httpErrorFor(error));
  if (error instanceof HttpError) return errorResponse(error);
  const where = `${request.method} ${new URL(request.url).pathname}`;
  if (isDatabaseUnavailable(error)) {
    console.error(`${where}: database unavailable: ${describeForLog(error)}`);
    return errorResponse(serviceUnavailable());
  }
  console.error(`${where}: unexpected error: ${describeForLog(error)}\n${stackForLog(error)}`);
  return errorResponse(internalError());
}
