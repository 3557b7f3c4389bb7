import { HttpError } from '../http/errors';

/** The realm named in WWW-Authenticate challenges (RFC 6750 section 3). */
export const REALM = 'neon-next-auth';

/**
 * 401 with the RFC 6750 challenge. Without a token: just the realm (the client did not try);
 * with a bad one: error="invalid_token" and a description saying what was wrong.
 */
export function unauthorized(description?: string): HttpError {
  if (description === undefined) {
    return new HttpError(401, 'unauthorized', 'Send an access token: Authorization: Bearer <token>.', {
      'WWW-Authenticate': `Bearer realm="${REALM}"`,
    });
  }
  return new HttpError(401, 'invalid_token', description, {
    'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
  });
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token from `Authorization: Bearer <token>`; undefined when there is no Authorization header. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = BEARER.exec(header);
  if (!match?.[1]) throw unauthorized('The Authorization header must be "Bearer <token>".');
  return match[1];
}
