import { config } from '../../config';
import { AuthFailure } from '../errors';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../crypto/password';
import { matchingStep, openSecret, recoveryCodeHash } from '../crypto/totp';
import { countPasswordAttempt } from '../limits/password-backoff';
import { sendRecoveryCodeUsed } from './notify';
import { startLoginSession, type IssuedSession, type LoginClient } from '../store/sessions';
import { claimChallengeTry, createMfaChallenge, passChallenge, passwordFingerprint } from '../store/two-factor';
import { findUserByEmail, upgradePasswordHash } from '../store/users';

/** A login's second step (POST /auth/login/2fa) must come within this many seconds of the password ... */
export const MFA_TOKEN_TTL = 5 * 60;
/** ... and gets this many codes tried with one mfa_token. */
export const MFA_MAX_TRIES = 5;

export type LoggedIn = IssuedSession & { userId: string };
/** The right password for an account with 2FA: the token of the second step, nothing else. */
export type SecondFactorRequired = { mfaToken: string };

/**
 * A login, every step of it (as the FastAPI template's crud.authenticate): count the attempt, check
 * the password, then start a session; or, for an account with two-factor, issue the token of the
 * second step (logInSecondFactor) instead. Throws AuthFailure.
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
  if (user.totpSecret !== null) return { mfaToken: await createMfaChallenge(user.id, verifiedHash, MFA_TOKEN_TTL) };
  const session = await startLoginSession(user, verifiedHash, client);
  // The password changed, or the account was deactivated, while we were checking: the guess is stale.
  if (!session) throw new AuthFailure('invalid_credentials');
  return { ...session, userId: user.id };
}

/**
 * The second step of a login with 2FA: the mfa_token (one try of at most MFA_MAX_TRIES counted on it
 * first), then the attempt counted against the account as a password guess is, then the code (its
 * time step spent: a code works once) or a recovery code (spent; the owner is mailed), then the
 * session, as logIn starts it, its tokens saying `amr: ["pwd", "otp"]`.
 */
export async function logInSecondFactor(
  mfaToken: string,
  factor: { code: string } | { recovery_code: string },
  client: LoginClient,
): Promise<LoggedIn> {
  const user = await claimChallengeTry(mfaToken, MFA_MAX_TRIES);
  // A password changed since the first step voids it, as it would have voided a session.
  if (!user || passwordFingerprint(user.hashed_password) !== user.password_fingerprint) throw new AuthFailure('invalid_mfa_token');
  await countPasswordAttempt(client.address, user.email);

  let passed: Awaited<ReturnType<typeof passChallenge>>;
  if ('code' in factor) {
    const secret = user.totp_secret === null ? undefined : openSecret(user.totp_secret, user.id);
    const step = secret === undefined ? undefined : matchingStep(secret, factor.code);
    passed = step === undefined ? undefined : await passChallenge(mfaToken, user.id, { step });
  } else {
    passed = await passChallenge(mfaToken, user.id, { recoveryCodeHash: recoveryCodeHash(factor.recovery_code) });
    if (passed) sendRecoveryCodeUsed(user.email, passed.remainingRecoveryCodes);
  }
  if (!passed) throw new AuthFailure('invalid_code');

  const session = await startLoginSession(user, user.hashed_password, client, ['pwd', 'otp']);
  if (!session) throw new AuthFailure('invalid_mfa_token');
  return { ...session, userId: user.id };
}
