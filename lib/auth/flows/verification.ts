import { issueAccountToken, isWellFormedLinkToken } from '../store/account-tokens';
import { AuthFailure, rateLimited } from '../errors';
import { requireMailOn, sendEmailVerification } from './notify';
import { countAccountMail } from '../limits/password-backoff';
import { verifyEmailWithToken, type PublicUser } from '../store/users';

/** Confirms the email of the account a verification link belongs to; returns the account. */
export async function verifyEmail(token: string): Promise<PublicUser> {
  const user = isWellFormedLinkToken(token) ? await verifyEmailWithToken(token) : undefined;
  if (!user) throw new AuthFailure('invalid_link_token');
  return user;
}

/**
 * A new verification link for the signed-in user (the older ones stop working). Refused when the
 * email is verified already (409: the user is signed in, so this reveals nothing) and past
 * RATE_LIMIT_RESEND for the account.
 */
export async function resendVerification(user: PublicUser): Promise<void> {
  requireMailOn();
  if (user.email_verified) throw new AuthFailure('already_verified');
  const counted = await countAccountMail('resend', user.id);
  if (!counted.allowed) throw rateLimited(counted.retryAfter);
  const issued = await issueAccountToken('email_verification', { userId: user.id });
  if (issued) sendEmailVerification(issued.email, issued.token);
}
