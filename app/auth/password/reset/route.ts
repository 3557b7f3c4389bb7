import { endpoints } from '@/lib/api/endpoints';
import { resetPassword } from '@/lib/auth/flows/recovery';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/password/reset {token, new_password} -> 200 {device_token}; every session of the account ends. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.resetPassword, async ({ body, request }) => {
    const { deviceToken } = await resetPassword(body.token, body.new_password, clientAddress(request));
    return { device_token: deviceToken };
  }),
);
