import { AuthFailure } from '../errors';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The token from `Authorization: Bearer <token>`. Undefined when there is no such header, or another
 * scheme (RFC 6750 section 3.1: then the bare challenge, no error code); invalid_token when the Bearer
 * credentials are malformed.
 */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null || !/^bearer(\s|$)/i.test(header)) return undefined;
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AuthFailure('invalid_token', 'Send the token as: Authorization: Bearer <token>');
  return match[1];
}
