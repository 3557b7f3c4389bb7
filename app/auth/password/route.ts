import { endpoints } from '@/lib/api/endpoints';
import { changeOwnPassword } from '@/lib/auth/flows/account';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/password (bearer) {current_password, new_password} -> 204; every other session ends. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.changePassword, async ({ body, user, sessionId, request }) => {
    await changeOwnPassword(user, sessionId, { current: body.current_password, next: body.new_password }, clientAddress(request));
  }),
);
