import { endpoints } from '@/lib/api/endpoints';
import { AuthFailure } from '@/lib/auth/errors';
import { hashPassword } from '@/lib/auth/password';
import { limitByAddress } from '@/lib/auth/rate-limit';
import { createUser } from '@/lib/auth/users';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/register {email, password} -> 201 {id, email, is_active, created_at} */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.register, async ({ body, request }) => {
    await limitByAddress('register', clientAddress(request));
    const user = await createUser(body.email, await hashPassword(body.password));
    if (!user) throw new AuthFailure('email_taken');
    return user;
  }),
);
