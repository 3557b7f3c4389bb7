import { config } from '../../config';
import { AuthFailure } from '../errors';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../crypto/password';
import { countPasswordAttempt } from '../limits/password-backoff';
import { startLoginSession, type IssuedSession, type LoginClient } from '../store/sessions';
import { createMfaChallenge } from '../store/two-factor';
import { findUserByEmail, upgradePasswordHash } from '../store/users';

export type LoggedIn = IssuedSession & { userId: string };
/** The right password for an account with 2FA: the token of the second step, nothing else. */
export type SecondFactorRequired = { mfaToken: string };

/**
 * A login, every step of it (as the FastAPI template's crud.authenticate): count the attempt, check
 * the password, then start a session; or, for an account with two-factor, issue the token of the
 * second step (logInSecondFactor, in second-factor.ts) instead. Throws AuthFailure.
 */
export async function logIn(email: string, password: string, client: LoginClient): Promise<LoggedIn | SecondFactorRequired> {
  await countPasswordAttempt(client.address, email);
  const user = await findUserByEmail(email);
  // An unknown email is compared against a dummy hash: same work, same time, same answer.
  const matches = await verifyPassword(password, user?.hashedPassword ?? dummyHash());
  if (!user || !matches) throw new AuthFailure('invalid_credentials');
  // Only someone who knows the password learns that the account is disabled.
  if (!user.isActive) throw new AuthFailure('inactive_user');
  // EMAIL_VERIFICATION=required: likewise, only the right password learns that the email is unconfirmed.
  if (!user.emailVerifiedAt && config().mail.emailVerification === 'required') throw new AuthFailure('email_not_verified');

  let verifiedHash = user.hashedPassword;
  if (needsRehash(verifiedHash)) {
    // BCRYPT_COST changed since this hash was made: upgrade it now that we hold the password (only
    // if it is still the stored one).
    const upgraded = await hashPassword(password);
    if (await upgradePasswordHash(user.id, verifiedHash, upgraded)) verifiedHash = upgraded;
  }
  // Two-factor: the password alone starts nothing. The counted attempt stays counted until the
  // second step succeeds.
  if (user.totpSecret !== null) return { mfaToken: await createMfaChallenge(user.id, verifiedHash) };
  const session = await startLoginSession(user, verifiedHash, client);
  // The password changed, or the account was deactivated, while we were checking: the guess is stale.
  if (!session) throw new AuthFailure('invalid_credentials');
  return { ...session, userId: user.id };
}
