import { endpoints } from '@/lib/api/endpoints';
import { revokeAllSessions, revokeSession } from '@/lib/auth/store/sessions';
import { on, route } from '@/lib/http/endpoint';
import { clearRefreshCookie } from '@/lib/http/refresh-cookie';

/**
 * POST /auth/logout (bearer, or a browser's refresh cookie) -> 204. Ends the session; with
 * {"scope":"all"} every session of the user. Their refresh tokens stop working at once, and so do their
 * access tokens wherever a handler checks the session; proxy.ts alone keeps accepting them until they
 * expire. The refresh cookie is cleared in any case (a cookie whose session had ended: nothing else to do).
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.logout, async ({ body, session, headers }) => {
    clearRefreshCookie(headers);
    if (!session) return;
    if (body.scope === 'all') await revokeAllSessions(session.userId);
    else await revokeSession(session.userId, session.sessionId);
  }),
);
