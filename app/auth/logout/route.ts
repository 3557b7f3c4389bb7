import { endpoints } from '@/lib/api/endpoints';
import { revokeAllSessions, revokeSession } from '@/lib/auth/store/sessions';
import { on, route } from '@/lib/http/endpoint';

/**
 * POST /auth/logout (bearer) -> 204. Ends the token's session; with {"scope":"all"} every session of
 * the user. Their refresh tokens stop working at once, and so do their access tokens wherever a
 * handler checks the session; proxy.ts alone keeps accepting them until they expire.
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.logout, async ({ body, user, sessionId }) => {
    if (body.scope === 'all') await revokeAllSessions(user.id);
    else await revokeSession(user.id, sessionId);
  }),
);
