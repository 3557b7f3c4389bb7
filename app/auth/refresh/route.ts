import { endpoints } from '@/lib/api/endpoints';
import { AuthFailure } from '@/lib/auth/errors';
import { limitByAddress } from '@/lib/auth/limits/password-backoff';
import { rotateRefreshToken } from '@/lib/auth/store/sessions';
import { tokenResponseBody } from '@/lib/auth/flows/token-response';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/refresh {refresh_token} (or the OAuth2 form) -> 200 a new pair; the presented token is spent. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.refresh, async ({ body, request }) => {
    await limitByAddress('refresh', clientAddress(request));
    const result = await rotateRefreshToken(body.refresh_token);
    // One answer for unknown, expired, revoked, reused and deactivated: the holder must log in again.
    if (!result.ok) throw new AuthFailure('invalid_grant');
    return tokenResponseBody(result.userId, result);
  }),
);
