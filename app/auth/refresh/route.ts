import { limitByAddress } from '@/lib/auth/rate-limit';
import { refreshForm, refreshRequest } from '@/lib/auth/schemas';
import { rotateRefreshToken } from '@/lib/auth/sessions';
import { tokenResponseBody } from '@/lib/auth/token-response';
import { isForm, readBody } from '@/lib/http/body';
import { clientAddress } from '@/lib/http/client-address';
import { HttpError } from '@/lib/http/errors';
import { json } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';
import { validate } from '@/lib/http/validate';

/**
 * POST /auth/refresh {refresh_token} (JSON, or the OAuth2 form with grant_type=refresh_token)
 * -> 200 a new access and refresh pair; the presented refresh token is spent.
 */
export const POST = handle(async (request) => {
  const body = await readBody(request, { form: true });
  const { refresh_token } = isForm(request) ? validate(refreshForm, body) : validate(refreshRequest, body);

  await limitByAddress('refresh', clientAddress(request));
  const result = await rotateRefreshToken(refresh_token);
  if (!result.ok) {
    // One answer for unknown, expired, revoked, reused and deactivated: the holder must log in again.
    throw new HttpError(401, 'invalid_grant', 'The refresh token is invalid, expired or revoked. Log in again.');
  }
  return json(await tokenResponseBody(result.userId, result));
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods('POST');
