import { HttpError } from './errors';

/**
 * Headers on every answer: auth responses must never be cached by a browser or a shared cache, and
 * must not be sniffed as anything but JSON.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

export function noContent(): Response {
  return new Response(null, { status: 204, headers: SECURITY_HEADERS });
}

export function errorResponse(error: HttpError): Response {
  return json(error.body(), error.status, error.headers);
}
