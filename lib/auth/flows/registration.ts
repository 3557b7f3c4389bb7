import { config } from '../../config';
import { newLinkToken } from '../store/account-tokens';
import { AuthFailure } from '../errors';
import { sendEmailVerification, sendSignupAttempt } from './notify';
import { hashPassword } from '../crypto/password';
import { limitByAddress } from '../limits/password-backoff';
import { createUser, type PublicUser } from '../store/users';

/**
 * A sign-up, by EMAIL_VERIFICATION:
 * - off: the account is created (or email_taken); no message.
 * - optional (default): the same, and the new account is sent a verification link; it can log in at once.
 * - required: one outcome, `pending`, for a new email and for a taken one, so the answer says nothing
 *   about which: the new account gets the verification link, the owner of a taken email a notice that
 *   someone tried. The password is hashed in both cases and the mail goes after the answer, so the time
 *   does not tell either. Logging in waits for the verification (lib/auth/flows/login.ts).
 */
export type Registration = { outcome: 'created'; user: PublicUser } | { outcome: 'pending' };

export async function register(email: string, password: string, clientAddress: string): Promise<Registration> {
  await limitByAddress('register', clientAddress);
  const mode = config().mail.emailVerification;
  const hashedPassword = await hashPassword(password);
  const token = mode === 'off' ? undefined : newLinkToken();
  // One statement stores the account and its verification token; a taken email is refused by the index.
  const user = await createUser(email, hashedPassword, token);
  if (mode === 'required') {
    if (user) sendEmailVerification(user.email, token!);
    else sendSignupAttempt(email);
    return { outcome: 'pending' };
  }
  if (!user) throw new AuthFailure('email_taken');
  if (token) sendEmailVerification(user.email, token);
  return { outcome: 'created', user };
}
