/**
 * The answer of every endpoint that issues a token pair (login, refresh, and any later one: a 2FA
 * completion, a password change): the OAuth2 token response; for a client that asked for the refresh
 * cookie (`"refresh_cookie": true`, lib/http/refresh-cookie.ts), the same without `refresh_token`, which
 * goes into the cookie instead. lib/http/endpoint.ts has checked the request's origin by then.
 */
import { tokenResponseBody } from '../auth/flows/token-response';
import type { IssuedSession } from '../auth/store/sessions';
import { setRefreshCookie } from './refresh-cookie';

export async function tokenPairAnswer(headers: Headers, userId: string, session: IssuedSession, { cookie = false }: { cookie?: boolean } = {}) {
  const body = await tokenResponseBody(userId, session);
  if (!cookie) return body;
  setRefreshCookie(headers, session.refreshToken, session.refreshExpiresIn);
  return { ...body, refresh_token: undefined };
}

/** Whether a parsed request body asks for the refresh cookie. */
export function asksForRefreshCookie(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { refresh_cookie?: unknown }).refresh_cookie === true;
}
