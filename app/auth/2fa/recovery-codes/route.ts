import { endpoints } from '@/lib/api/endpoints';
import { regenerateRecoveryCodes } from '@/lib/auth/flows/two-factor';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/2fa/recovery-codes (bearer) {password} -> 200 {recovery_codes}; the earlier ones stop working. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.recoveryCodes, async ({ body, user, request }) => regenerateRecoveryCodes(user, body.password, clientAddress(request))),
);
