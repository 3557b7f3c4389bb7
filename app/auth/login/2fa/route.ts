import { endpoints } from '@/lib/api/endpoints';
import { logInSecondFactor } from '@/lib/auth/flows/login';
import { loginAnswer } from '@/lib/auth/flows/token-response';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/login/2fa {mfa_token, code | recovery_code} -> 200 what POST /auth/login answers. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.loginSecondFactor, async ({ body, request }) => {
    const factor = body.code !== undefined ? { code: body.code } : { recovery_code: body.recovery_code! };
    const session = await logInSecondFactor(body.mfa_token, factor, { address: clientAddress(request), userAgent: request.headers.get('user-agent') });
    return loginAnswer(session);
  }),
);
