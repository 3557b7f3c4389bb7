import { endpoints } from '@/lib/api/endpoints';
import { resendVerification } from '@/lib/auth/flows/verification';
import { on, route } from '@/lib/http/endpoint';

const ACCEPTED = { message: 'We sent a new verification link to your email address.' };

/** POST /auth/email/resend (bearer) -> 202; a new verification link goes to the user's email. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.resendVerification, async ({ user }) => {
    await resendVerification(user);
    return ACCEPTED;
  }),
);
