import { requireUser } from '@/lib/auth/guard';
import { logoutRequest } from '@/lib/auth/schemas';
import { revokeAllSessions, revokeSession } from '@/lib/auth/sessions';
import { readBody } from '@/lib/http/body';
import { noContent } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';
import { validate } from '@/lib/http/validate';

/**
 * POST /auth/logout (bearer) -> 204. Ends the token's session; with {"scope":"all"} every session of
 * the user. Their refresh tokens stop working at once, and so do their access tokens wherever a
 * handler checks the session (requireUser); proxy.ts alone keeps accepting them until they expire.
 */
export const POST = handle(async (request) => {
  const { user, sessionId } = await requireUser(request);
  const hasBody = request.headers.has('content-type');
  const { scope } = validate(logoutRequest, hasBody ? await readBody(request) : {});
  if (scope === 'all') await revokeAllSessions(user.id);
  else await revokeSession(user.id, sessionId);
  return noContent();
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods('POST');
