import { endpoints } from '@/lib/api/endpoints';
import { logInSecondFactor } from '@/lib/auth/flows/second-factor';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';
import { tokenPairAnswer } from '@/lib/http/token-pair';

/** POST /auth/login/2fa {mfa_token, code | recovery_code, device_token?, refresh_cookie?} -> 200 what POST /auth/login answers. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.loginSecondFactor, async ({ body, request, headers }) => {
    const factor = body.code !== undefined ? { code: body.code } : { recovery_code: body.recovery_code! };
    const session = await logInSecondFactor(body.mfa_token, factor, {
      address: clientAddress(request),
      userAgent: request.headers.get('user-agent'),
      deviceToken: body.device_token,
    });
    return { ...(await tokenPairAnswer(headers, session.userId, session, { cookie: body.refresh_cookie })), device_token: session.deviceToken };
  }),
);
