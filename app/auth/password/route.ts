import { endpoints } from '@/lib/api/endpoints';
import { changeOwnPassword } from '@/lib/auth/flows/account';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';
import { hasRefreshCookie } from '@/lib/http/refresh-cookie';
import { tokenPairAnswer } from '@/lib/http/token-pair';

/**
 * POST /auth/password (bearer) {current_password, new_password} -> 200 a new session, as login answers it;
 * every session of the account ends, this one too. A browser that keeps its refresh token in the
 * cookie gets the new one there (the old cookie's session has just ended).
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.changePassword, async ({ body, user, request, headers }) => {
    const client = { address: clientAddress(request), userAgent: request.headers.get('user-agent') };
    const session = await changeOwnPassword(user, { current: body.current_password, next: body.new_password }, client);
    return { ...(await tokenPairAnswer(headers, user.id, session, { cookie: hasRefreshCookie(request) })), device_token: session.deviceToken };
  }),
);
