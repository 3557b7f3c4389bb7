import { endpoints } from '@/lib/api/endpoints';
import { logIn } from '@/lib/auth/flows/login';
import { tokenResponseBody } from '@/lib/auth/flows/token-response';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/login {email, password, device_token?} (or the OAuth2 password form) -> 200 an access and a refresh token, and a device token. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.login, async ({ body, request }) => {
    const session = await logIn(body.email, body.password, {
      address: clientAddress(request),
      userAgent: request.headers.get('user-agent'),
      deviceToken: body.device_token,
    });
    return { ...(await tokenResponseBody(session.userId, session)), device_token: session.deviceToken };
  }),
);
