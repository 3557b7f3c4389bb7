/**
 * The refresh token as an httpOnly cookie, for browser front ends (opt-in: `"refresh_cookie": true` in
 * a login's body). Page scripts never see the token; the browser sends it only to the endpoints that
 * read it (/auth/refresh, /auth/logout), only from the same site (SameSite=Strict), and this server
 * accepts it only from an origin in CORS_ORIGINS (the CSRF check below). docs/security.md says why
 * each attribute is what it is.
 */
import { config } from '../config';
import { HttpError } from './errors';

/**
 * `__Secure-` makes the browser refuse the cookie unless it is Secure and set over https (or
 * http://localhost). Not `__Host-`: that prefix demands Path=/, and the cookie must not go to every path.
 */
export const REFRESH_COOKIE = '__Secure-refresh_token';
/** The one prefix that covers both endpoints that read the cookie (/auth/refresh, /auth/logout). */
export const REFRESH_COOKIE_PATH = '/auth';

const ATTRIBUTES = `Path=${REFRESH_COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict`;

/** Sets the cookie on an answer; it lives as long as the refresh token does. */
export function setRefreshCookie(headers: Headers, token: string, maxAgeSeconds: number): void {
  headers.append('Set-Cookie', `${REFRESH_COOKIE}=${token}; Max-Age=${Math.max(0, maxAgeSeconds)}; ${ATTRIBUTES}`);
}

/** Tells the browser to drop the cookie. */
export function clearRefreshCookie(headers: Headers): void {
  headers.append('Set-Cookie', `${REFRESH_COOKIE}=; Max-Age=0; ${ATTRIBUTES}`);
}

/** The cookie's value as sent, unchecked; undefined when there is none. */
function cookieValue(request: Request): string | undefined {
  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === REFRESH_COOKIE) return pair.slice(at + 1).trim() || undefined;
  }
  return undefined;
}

export function hasRefreshCookie(request: Request): boolean {
  return cookieValue(request) !== undefined;
}

/** The refresh token from the cookie, once the request has passed the CSRF check; undefined without one. */
export function refreshCookieOf(request: Request): string | undefined {
  const token = cookieValue(request);
  if (token !== undefined) requireCookieOrigin(request);
  return token;
}

/**
 * The CSRF check for every request the cookie authenticates, and every login that asks for it: the
 * browser's Origin must be one of CORS_ORIGINS exactly, and Sec-Fetch-Site, where the browser sends it,
 * must say the page is of this site. A browser always sends Origin on a POST; a request without one is
 * not from a page we can vouch for. Anything else is 403 before anything is read or written.
 */
export function requireCookieOrigin(request: Request): void {
  const origin = request.headers.get('origin');
  const allowed = config().http.corsOrigins;
  if (!origin || !allowed.includes(origin)) {
    throw new HttpError(
      403,
      'origin_not_allowed',
      allowed.length === 0
        ? 'The refresh cookie works only for browser origins listed in CORS_ORIGINS, and none is set: send the refresh token in the body instead.'
        : `The refresh cookie is accepted only from the origins in CORS_ORIGINS (this request's Origin: ${origin ? 'another' : 'none'}): send the refresh token in the body instead.`,
    );
  }
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'same-site') {
    throw new HttpError(403, 'origin_not_allowed', 'The refresh cookie is accepted only from a page of the same site (Sec-Fetch-Site: same-origin or same-site).');
  }
}
