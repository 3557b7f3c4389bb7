import { dummyHash, hashPassword, needsRehash, verifyPassword } from '@/lib/auth/password';
import { checkLogin, forgetLoginFailures } from '@/lib/auth/rate-limit';
import { loginForm, loginRequest } from '@/lib/auth/schemas';
import { createSession } from '@/lib/auth/sessions';
import { tokenResponseBody } from '@/lib/auth/token-response';
import { findUserByEmail, updatePasswordHash } from '@/lib/auth/users';
import { isForm, readBody } from '@/lib/http/body';
import { clientAddress } from '@/lib/http/client-address';
import { HttpError } from '@/lib/http/errors';
import { json } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';
import { validate } from '@/lib/http/validate';

const invalidCredentials = () =>
  new HttpError(401, 'invalid_credentials', 'Incorrect email or password', { 'WWW-Authenticate': 'Bearer' });

/**
 * POST /auth/login, JSON {email, password} or the OAuth2 password form (username, password)
 * -> 200 {access_token, token_type: "bearer", expires_in, refresh_token, refresh_expires_in}
 */
export const POST = handle(async (request) => {
  const body = await readBody(request, { form: true });
  const { email, password } = isForm(request) ? validate(loginForm, body) : validate(loginRequest, body);

  await checkLogin(clientAddress(request), email);
  const user = await findUserByEmail(email);
  // An unknown email is compared against a dummy hash: same work, same time, same answer.
  const matches = await verifyPassword(password, user?.hashedPassword ?? dummyHash());
  if (!user || !matches) throw invalidCredentials();
  // Only someone who knows the password learns that the account is disabled.
  if (!user.isActive) throw new HttpError(403, 'inactive_user', 'This account is deactivated.');

  if (needsRehash(user.hashedPassword)) {
    // BCRYPT_COST changed since this hash was made: upgrade it now that we hold the password.
    await updatePasswordHash(user.id, await hashPassword(password));
  }
  return json(await tokenResponseBody(user.id, await createSession(user.id, forgetLoginFailures(email))));
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods('POST');
