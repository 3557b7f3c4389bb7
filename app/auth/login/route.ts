import { dummyHash, needsRehash, hashPassword, verifyPassword } from '@/lib/auth/password';
import { loginForm, loginRequest } from '@/lib/auth/schemas';
import { issueAccessToken } from '@/lib/auth/tokens';
import { findUserByEmail, updatePasswordHash } from '@/lib/auth/users';
import { readBody } from '@/lib/http/body';
import { HttpError } from '@/lib/http/errors';
import { json } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';
import { validate } from '@/lib/http/validate';

const invalidCredentials = () =>
  new HttpError(401, 'invalid_credentials', 'Incorrect email or password', { 'WWW-Authenticate': 'Bearer' });

/**
 * POST /auth/login, JSON {email, password} or the OAuth2 password form (username, password)
 * -> 200 {access_token, token_type: "bearer", expires_in}
 */
export const POST = handle(async (request) => {
  const isForm = request.headers.get('content-type')?.toLowerCase().startsWith('application/x-www-form-urlencoded');
  const body = await readBody(request, { form: true });
  const { email, password } = isForm ? validate(loginForm, body) : validate(loginRequest, body);

  const user = await findUserByEmail(email);
  // An unknown email is compared against a dummy hash: same work, same time, same answer.
  const matches = await verifyPassword(password, user?.hashedPassword ?? (await dummyHash()));
  if (!user || !matches) throw invalidCredentials();
  // Only someone who knows the password learns that the account is disabled.
  if (!user.isActive) throw new HttpError(403, 'inactive_user', 'This account is deactivated.');

  if (needsRehash(user.hashedPassword)) {
    // BCRYPT_COST changed since this hash was made: upgrade it now that we hold the password.
    await updatePasswordHash(user.id, await hashPassword(password));
  }
  const { token, expiresIn } = await issueAccessToken(user.id);
  return json({ access_token: token, token_type: 'bearer', expires_in: expiresIn });
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods('POST');
