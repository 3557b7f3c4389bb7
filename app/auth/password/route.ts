import { requireUser } from '@/lib/auth/guard';
import { hashPassword, verifyPassword } from '@/lib/auth/password';
import { checkLogin, forgetLoginFailures } from '@/lib/auth/rate-limit';
import { passwordChangeRequest } from '@/lib/auth/schemas';
import { changePassword, findPasswordHash } from '@/lib/auth/users';
import { readBody } from '@/lib/http/body';
import { clientAddress } from '@/lib/http/client-address';
import { HttpError } from '@/lib/http/errors';
import { noContent } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';
import { validate } from '@/lib/http/validate';

/**
 * POST /auth/password (bearer) {current_password, new_password} -> 204. Stores the new hash and
 * ends every other session of the user (this one stays logged in).
 */
export const POST = handle(async (request) => {
  const { user, sessionId } = await requireUser(request);
  const { current_password, new_password } = validate(passwordChangeRequest, await readBody(request));
  // A stolen access token must not become a way to guess the password: same limits as login.
  await checkLogin(clientAddress(request), user.email);
  const hash = await findPasswordHash(user.id);
  if (!hash || !(await verifyPassword(current_password, hash))) {
    // 403, not 401: the access token is fine; a 401 would make clients refresh and retry.
    throw new HttpError(403, 'incorrect_password', 'The current password is incorrect.');
  }
  await changePassword(user.id, await hashPassword(new_password), sessionId, forgetLoginFailures(user.email));
  return noContent();
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods('POST');
