import type { IssuedSession } from '../store/sessions';
import { issueAccessToken } from '../crypto/access-tokens';

/** The body login and refresh answer with (OAuth2 token response, RFC 6749 section 5.1). */
export async function tokenResponseBody(userId: string, session: IssuedSession) {
  const { token, expiresIn } = await issueAccessToken(userId, session.sessionId, session.amr);
  return {
    access_token: token,
    token_type: 'bearer' as const,
    expires_in: expiresIn,
    refresh_token: session.refreshToken,
    refresh_expires_in: session.refreshExpiresIn,
  };
}

/** The 403 of a right password for an account with 2FA: only the second step's token. */
export function mfaRequiredBody(mfaToken: string) {
  return {
    error: 'mfa_required' as const,
    message: 'Two-factor authentication is on: POST this mfa_token to /auth/login/2fa with a code from your authenticator app (or a recovery code) within 5 minutes.',
    mfa_token: mfaToken,
  };
}
