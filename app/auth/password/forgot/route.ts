import { endpoints } from '@/lib/api/endpoints';
import { requestPasswordReset } from '@/lib/auth/flows/recovery';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** The one answer, whether or not the email has an account. */
const ACCEPTED = { message: 'If an account exists for this email, we sent a link to reset its password.' };

/** POST /auth/password/forgot {email} -> 202, always the same body; a reset link goes to an existing, active account. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.forgotPassword, async ({ body, request }) => {
    await requestPasswordReset(body.email, clientAddress(request));
    return ACCEPTED;
  }),
);
