import { endpoints } from '@/lib/api/endpoints';
import { changeOwnPassword } from '@/lib/auth/flows/account';
import { tokenResponseBody } from '@/lib/auth/flows/token-response';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/**
 * POST /auth/password (bearer) {current_password, new_password} -> 200 a new session's token pair;
 * every session of the account ends, this one too.
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.changePassword, async ({ body, user, request }) => {
    const client = { address: clientAddress(request), userAgent: request.headers.get('user-agent') };
    const session = await changeOwnPassword(user, { current: body.current_password, next: body.new_password }, client);
    return tokenResponseBody(user.id, session);
  }),
);
