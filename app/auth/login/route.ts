import { endpoints } from '@/lib/api/endpoints';
import { logIn } from '@/lib/auth/flows/login';
import { mfaRequiredBody } from '@/lib/auth/flows/token-response';
import { clientAddress } from '@/lib/http/client-address';
import { on, reply, route } from '@/lib/http/endpoint';
import { tokenPairAnswer } from '@/lib/http/token-pair';

/**
 * POST /auth/login {email, password, device_token?, refresh_cookie?} (or the OAuth2 password form) ->
 * 200 an access and a refresh token (the refresh token as an httpOnly cookie when refresh_cookie is
 * true) and the device token to send with later logins; for an account with two-factor, 403
 * mfa_required with the mfa_token of POST /auth/login/2fa.
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.login, async ({ body, request, headers }) => {
    const result = await logIn(body.email, body.password, {
      address: clientAddress(request),
      userAgent: request.headers.get('user-agent'),
      deviceToken: body.device_token,
    });
    if ('mfaToken' in result) return reply(403, mfaRequiredBody(result.mfaToken));
    return { ...(await tokenPairAnswer(headers, result.userId, result, { cookie: body.refresh_cookie })), device_token: result.deviceToken };
  }),
);
