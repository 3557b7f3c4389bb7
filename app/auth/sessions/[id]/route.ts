import { endpoints } from '@/lib/api/endpoints';
import { AuthFailure } from '@/lib/auth/errors';
import { revokeSession } from '@/lib/auth/store/sessions';
import { on, route } from '@/lib/http/endpoint';

/** DELETE /auth/sessions/{id} (bearer) -> 204; 404 unless it is a live session of this user. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.endSession, async ({ user, params }) => {
    if (!(await revokeSession(user.id, params.id))) throw new AuthFailure('session_not_found');
  }),
);
