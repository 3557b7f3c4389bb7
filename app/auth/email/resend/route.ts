import { endpoints } from '@/lib/api/endpoints';
import { requireUser } from '@/lib/auth/flows/guard';
import { resendVerification, resendVerificationTo } from '@/lib/auth/flows/verification';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';
import { validationError } from '@/lib/http/errors';

const ACCEPTED = { message: 'We sent a new verification link to your email address.' };
/** The one answer without a token, whatever the account's state. */
const ACCEPTED_BY_EMAIL = { message: 'If this email has a sign-up or an account waiting for verification, we sent it a new link.' };

/**
 * POST /auth/email/resend -> 202. With a bearer token: a new link to the signed-in user (409 when
 * verified). Without one, `{email}`: the same 202 whatever the state of the email (a user who lost
 * the link cannot log in to get a token).
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.resendVerification, async ({ body, request }) => {
    if (request.headers.has('authorization')) {
      await resendVerification((await requireUser(request)).user);
      return ACCEPTED;
    }
    if (!body.email) throw validationError({ email: 'Send the email to verify, or an access token.' });
    await resendVerificationTo(body.email, clientAddress(request));
    return ACCEPTED_BY_EMAIL;
  }),
);
