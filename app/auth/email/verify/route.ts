import { endpoints } from '@/lib/api/endpoints';
import { verifyEmail } from '@/lib/auth/flows/verification';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/email/verify {token} -> 200 the account, email_verified true. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.verifyEmail, async ({ body }) => verifyEmail(body.token)),
);
