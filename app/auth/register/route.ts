import { endpoints } from '@/lib/api/endpoints';
import { register } from '@/lib/auth/flows/registration';
import { clientAddress } from '@/lib/http/client-address';
import { on, reply, route } from '@/lib/http/endpoint';

/** The one answer of EMAIL_VERIFICATION=required, for a new email and a taken one alike. */
const PENDING = { message: 'Check your email: we sent a message to this address to finish signing up.' };

/**
 * POST /auth/register {email, password} -> 201 {id, email, is_active, email_verified, created_at};
 * with EMAIL_VERIFICATION=required, 202 {message} whether or not the email was taken.
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.register, async ({ body, request }) => {
    const registration = await register(body.email, body.password, clientAddress(request));
    return registration.outcome === 'created' ? registration.user : reply(202, PENDING);
  }),
);
