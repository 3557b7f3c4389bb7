import { endpoints } from '@/lib/api/endpoints';
import { logIn } from '@/lib/auth/flows/login';
import { tokenResponseBody } from '@/lib/auth/flows/token-response';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/login {email, password} (or the OAuth2 password form) -> 200 an access and a refresh token. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.login, async ({ body, request }) => {
    const session = await logIn(body.email, body.password, { address: clientAddress(request), userAgent: request.headers.get('user-agent') });
    return tokenResponseBody(session.userId, session);
  }),
);
