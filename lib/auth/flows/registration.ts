import { config } from '../../config';
import { newLinkToken } from '../store/account-tokens';
import { AuthFailure } from '../errors';
import { sendEmailVerification, sendSignupAttempt } from './notify';
import { hashPassword } from '../crypto/password';
import { countAccountMail } from '../limits/mail';
import { limitByAddress } from '../limits/window';
import { storePendingSignup } from '../store/pending-signups';
import { createUser } from '../store/users';
import { publicUser, type PublicUser } from '../wire/public-user';

/**
 * A sign-up, by EMAIL_VERIFICATION:
 * - off: the account is created (or email_taken); no message.
 * - optional (default): the same, and the new account is sent a verification link; it can log in at once.
 * - required: one outcome, `pending`, for a new email and for a taken one, so the answer says nothing
 *   about which. The sign-up waits for its own link (lib/auth/store/pending-signups.ts), which creates the
 *   account with this sign-up's password; a newer sign-up voids it. The owner of a verified account
 *   gets a notice instead of a link (at most SIGNUP_NOTICES an hour). The password is hashed in both
 *   cases and the mail goes after the answer, so the time does not tell either.
 */
export type Registration = { outcome: 'created'; user: PublicUser } | { outcome: 'pending' };

export async function register(email: string, password: string, clientAddress: string): Promise<Registration> {
  await limitByAddress('register', clientAddress);
  const mode = config().mail.emailVerification;
  const hashedPassword = await hashPassword(password);
  if (mode === 'required') {
    const pending = await storePendingSignup(email, hashedPassword);
    if (pending.token) sendEmailVerification(email, pending.token);
    else if ((await countAccountMail('signup-notice', email)).allowed) sendSignupAttempt(email);
    return { outcome: 'pending' };
  }
  const token = mode === 'off' ? undefined : newLinkToken();
  // One statement stores the account and its verification token; a taken email is refused by the index.
  const user = await createUser(email, hashedPassword, token);
  if (!user) throw new AuthFailure('email_taken');
  if (token) sendEmailVerification(user.email, token);
  return { outcome: 'created', user: publicUser(user) };
}
