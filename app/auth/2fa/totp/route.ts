import { endpoints } from '@/lib/api/endpoints';
import { disableOwnTotp } from '@/lib/auth/flows/two-factor';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** DELETE /auth/2fa/totp (bearer) {password, code | recovery_code} -> 204: two-factor is off. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.totpDisable, async ({ body, user, request }) => {
    const factor = body.code !== undefined ? { code: body.code } : { recovery_code: body.recovery_code! };
    await disableOwnTotp(user, body.password, factor, clientAddress(request));
  }),
);
