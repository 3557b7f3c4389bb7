import { endpoints } from '@/lib/api/endpoints';
import { AuthFailure } from '@/lib/auth/errors';
import { limitByAddress } from '@/lib/auth/limits/password-backoff';
import { rotateRefreshToken } from '@/lib/auth/store/sessions';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';
import { validationError } from '@/lib/http/errors';
import { refreshCookieOf } from '@/lib/http/refresh-cookie';
import { tokenPairAnswer } from '@/lib/http/token-pair';

/**
 * POST /auth/refresh {refresh_token} (or the OAuth2 form) -> 200 a new pair; the presented token is
 * spent. Without a token in the body, the refresh cookie (from an allowed origin only), answered with
 * the new one as the cookie: the same rotation, grace, reuse detection and lifetime.
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.refresh, async ({ body, request, headers }) => {
    const fromCookie = body.refresh_token === undefined;
    const presented = body.refresh_token ?? refreshCookieOf(request);
    if (presented === undefined) {
      throw validationError({ refresh_token: 'Send the refresh token from login (a browser that logged in with refresh_cookie sends its cookie instead).' });
    }
    await limitByAddress('refresh', clientAddress(request));
    const result = await rotateRefreshToken(presented);
    // One answer for unknown, expired, revoked, reused and deactivated: the holder must log in again.
    if (!result.ok) throw new AuthFailure('invalid_grant');
    return tokenPairAnswer(headers, result.userId, result, { cookie: fromCookie });
  }),
);
