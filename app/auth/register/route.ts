import { hashPassword } from '@/lib/auth/password';
import { limitByAddress } from '@/lib/auth/rate-limit';
import { registerRequest } from '@/lib/auth/schemas';
import { createUser } from '@/lib/auth/users';
import { readBody } from '@/lib/http/body';
import { clientAddress } from '@/lib/http/client-address';
import { HttpError } from '@/lib/http/errors';
import { json } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';
import { validate } from '@/lib/http/validate';

/** POST /auth/register {email, password} -> 201 {id, email, is_active, created_at} */
export const POST = handle(async (request) => {
  const { email, password } = validate(registerRequest, await readBody(request));
  await limitByAddress('register', clientAddress(request));
  const user = await createUser(email, await hashPassword(password));
  if (!user) throw new HttpError(409, 'email_taken', 'An account with this email already exists. Log in instead.');
  return json(user, 201);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods('POST');
