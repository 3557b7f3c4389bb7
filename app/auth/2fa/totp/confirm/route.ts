import { endpoints } from '@/lib/api/endpoints';
import { confirmTotp } from '@/lib/auth/flows/two-factor';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/2fa/totp/confirm (bearer) {code} -> 200 {recovery_codes}: two-factor is on. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.totpConfirm, async ({ body, user, request }) => confirmTotp(user, body.code, clientAddress(request))),
);
