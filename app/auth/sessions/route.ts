import { endpoints } from '@/lib/api/endpoints';
import { listSessions } from '@/lib/auth/flows/session-list';
import { on, route } from '@/lib/http/endpoint';

/** GET /auth/sessions (bearer) -> 200 the user's live sessions, newest first, the token's own marked current. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.sessions, async ({ user, sessionId }) => listSessions(user.id, sessionId)),
);
