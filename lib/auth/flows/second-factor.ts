import { AuthFailure } from '../errors';
import { matchingStep, openSecret, recoveryCodeHash } from '../crypto/totp';
import { countPasswordAttempt } from '../limits/password-backoff';
import { sendRecoveryCodeUsed } from './notify';
import type { LoggedIn } from './login';
import { deviceTokenAfterLogin, knownClientOf } from '../store/known-clients';
import { startLoginSession, type LoginClient } from '../store/sessions';
import { claimChallengeTry, passChallenge, passwordFingerprint } from '../store/two-factor';

/**
 * The second step of a login with 2FA: the mfa_token (one try of at most MFA_MAX_TRIES counted on it
 * first), then the attempt counted against the account as a password guess is, then the code (its
 * time step spent: a code works once) or a recovery code (spent; the owner is mailed), then the
 * session, as logIn starts it, its tokens saying `amr: ["pwd", "otp"]`. A known device (its
 * `device_token` sent again) or address is counted in its own lane here as at the first step, so the
 * account-wide cap holds back neither step of the owner's login.
 */
export async function logInSecondFactor(
  mfaToken: string,
  factor: { code: string } | { recovery_code: string },
  client: LoginClient & { deviceToken?: string },
): Promise<LoggedIn & { deviceToken: string }> {
  const user = await claimChallengeTry(mfaToken, client);
  // A password changed since the first step voids it, as it would have voided a session.
  if (!user || passwordFingerprint(user.hashed_password) !== user.password_fingerprint) throw new AuthFailure('invalid_mfa_token');
  const known = knownClientOf(user, client.deviceToken);
  // The first try was counted already: the right password at POST /auth/login stays counted as an
  // attempt until this step succeeds. So a client's free attempts are the token's 5 tries, no fewer.
  if (user.tries > 1) await countPasswordAttempt(client.address, user.email, known);

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

  const keptToken = deviceTokenAfterLogin(known, client.deviceToken);
  const session = await startLoginSession(user, user.hashed_password, { ...client, known, deviceToken: keptToken }, ['pwd', 'otp']);
  if (!session) throw new AuthFailure('invalid_mfa_token');
  return { ...session, userId: user.id, deviceToken: keptToken };
}
