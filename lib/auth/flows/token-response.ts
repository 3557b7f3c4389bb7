import type { IssuedSession } from '../store/sessions';
import { issueAccessToken } from '../crypto/access-tokens';

/** The body login and refresh answer with (OAuth2 token response, RFC 6749 section 5.1). */
export async function tokenResponseBody(userId: string, session: IssuedSession) {
  const { token, expiresIn } = await issueAccessToken(userId, session.sessionId);
  return {
    access_token: token,
    token_type: 'bearer' as const,
    expires_in: expiresIn,
    refresh_token: session.refreshToken,
    refresh_expires_in: session.refreshExpiresIn,
  };
}
