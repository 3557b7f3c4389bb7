import { config } from '../config';

/**
 * CORS is off unless CORS_ORIGINS lists the browser origins allowed to call this API (comma-separated,
 * exact matches, e.g. "https://app.example.com,http://localhost:5173"). Those origins, and only those,
 * get credentials mode (`fetch(..., { credentials: 'include' })`), for the refresh cookie
 * (lib/http/refresh-cookie.ts); never `*`, and always `Vary: Origin`.
 */
const allowedOrigins = () => config().http.corsOrigins;

function allowedOrigin(request: Request): string | undefined {
  const origin = request.headers.get('origin');
  return origin && allowedOrigins().includes(origin) ? origin : undefined;
}

/** Adds Access-Control-Allow-Origin when the request's Origin is listed; always Vary: Origin when CORS is on. */
export function withCors(request: Request, response: Response): Response {
  if (allowedOrigins().length === 0) return response;
  response.headers.append('Vary', 'Origin');
  const origin = allowedOrigin(request);
  if (origin) {
    response.headers.set('Access-Control-Allow-Origin', origin);
    response.headers.set('Access-Control-Allow-Credentials', 'true');
    response.headers.set('Access-Control-Expose-Headers', 'WWW-Authenticate, Retry-After');
  }
  return response;
}

/** The answer to a preflight (OPTIONS): 204, with the CORS grant only for a listed origin. */
export function preflight(request: Request, allowed: readonly string[], securityHeaders: Record<string, string>): Response {
  const headers = new Headers({ ...securityHeaders, Allow: [...allowed, 'OPTIONS'].join(', ') });
  if (allowedOrigin(request)) {
    headers.set('Access-Control-Allow-Methods', allowed.join(', '));
    headers.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    headers.set('Access-Control-Max-Age', '600');
  }
  return withCors(request, new Response(null, { status: 204, headers }));
}
