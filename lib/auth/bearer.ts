import { HttpError } from '../http/errors';

/** The realm named in WWW-Authenticate challenges (RFC 6750 section 3). */
export const REALM = 'neon-next-auth';

/**
 * 401 with the RFC 6750 challenge. Without a token: just the realm (the client did not try);
 * with a bad one: error="invalid_token" and a description saying what was wrong.
 */
export function unauthorized(description?: string): HttpError {
  // The description goes inside a quoted header parameter: it must hold no quote or backslash.
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

/**
 * The token from `Authorization: Bearer <token>`. Undefined when there is no such header, or another
 * scheme (RFC 6750 section 3.1: then the bare challenge, no error code); 401 invalid_token when the
 * Bearer credentials are malformed.
 */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null || !/^bearer(\s|$)/i.test(header)) return undefined;
  const match = BEARER.exec(header);
  if (!match?.[1]) throw unauthorized('Send the token as: Authorization: Bearer <token>');
  return match[1];
}
