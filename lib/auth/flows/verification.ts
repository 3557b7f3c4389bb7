import { issueAccountToken, isWellFormedLinkToken } from '../store/account-tokens';
import { AuthFailure, rateLimited } from '../errors';
import { requireMailOn } from './mail-off';
import { sendEmailVerification } from './notify';
import { countAccountMail } from '../limits/mail';
import { limitByAddress } from '../limits/window';
import { confirmPendingSignup, renewPendingLink } from '../store/pending-signups';
import { verifyEmailWithToken } from '../store/users';
import { publicUser, type PublicUser } from '../wire/public-user';

/**
 * Confirms the email a verification link was sent to; returns the account. The link is an existing
 * account's, or a pending sign-up's (EMAIL_VERIFICATION=required), which it turns into the account.
 */
export async function verifyEmail(token: string): Promise<PublicUser> {
  const user = isWellFormedLinkToken(token) ? ((await verifyEmailWithToken(token)) ?? (await confirmPendingSignup(token))) : undefined;
  if (!user) throw new AuthFailure('invalid_link_token');
  return publicUser(user);
}

/**
 * A new verification link for the signed-in user (the older ones stop working). Refused when the
 * email is verified already (409: the user is signed in, so this reveals nothing) and past
 * RATE_LIMIT_RESEND for the email.
 */
export async function resendVerification(user: PublicUser): Promise<void> {
  requireMailOn();
  if (user.email_verified) throw new AuthFailure('already_verified');
  const counted = await countAccountMail('resend', user.email);
  if (!counted.allowed) throw rateLimited(counted.retryAfter);
  const issued = await issueAccountToken('email_verification', { userId: user.id });
  if (issued) sendEmailVerification(issued.email, issued.token);
}

/**
 * A new verification link by email, without a token (a user who lost the link cannot log in). The
 * caller answers the same whatever happens here: a link goes only to a pending sign-up or an
 * unverified account, within RATE_LIMIT_RESEND per email (past it: nothing sent, nothing said) and
 * the reset requests' limit per client address (rate_limited).
 */
export async function resendVerificationTo(email: string, clientAddress: string): Promise<void> {
  requireMailOn();
  await limitByAddress('resend', clientAddress);
  if (!(await countAccountMail('resend', email)).allowed) return;
  // An unverified account's own link first: it confirms the account as it is. A pending sign-up's
  // link would set the password that sign-up chose, and anyone can sign up with this email, so the
  // owner asking for a new link must never be handed a stranger's (docs/security.md, "Pending sign-ups").
  const token = (await issueAccountToken('email_verification', { email, unverifiedOnly: true }))?.token ?? (await renewPendingLink(email));
  if (token) sendEmailVerification(email, token);
}
