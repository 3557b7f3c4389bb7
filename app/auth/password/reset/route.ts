import { endpoints } from '@/lib/api/endpoints';
import { resetPassword } from '@/lib/auth/flows/recovery';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/password/reset {token, new_password} -> 204; every session of the account ends. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.resetPassword, async ({ body }) => {
    await resetPassword(body.token, body.new_password);
  }),
);
