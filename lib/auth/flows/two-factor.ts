import { AuthFailure } from '../errors';
import { verifyPassword } from '../crypto/password';
import { countPasswordAttempt } from '../limits/password-backoff';
import { sendRecoveryCodesReplaced, sendTwoFactorDisabled, sendTwoFactorEnabled } from './notify';
import { enrolment, matchingStep, newRecoveryCodes, newTotpSecret, openSecret, recoveryCodeHash, sealSecret } from '../crypto/totp';
import {
  activateTotp,
  disableTotp,
  findTotpState,
  replaceRecoveryCodes,
  storePendingSecret,
  useRecoveryCode,
  useTotpStep,
  type TotpState,
} from '../store/two-factor';
import type { PublicUser } from '../wire/public-user';

/**
 * Two-factor authentication for the signed-in user: enrol (setup, then confirm with a first code),
 * new recovery codes, turn it off. Each change needs the password, checked under the login limits
 * (a stolen access token alone changes nothing); with 2FA on, setting up again or turning it off
 * needs a code too. The owner is mailed about every change.
 */

export type SecondFactor = { code: string } | { recovery_code: string };

/** The password, checked under the login limits (as checkOwnPassword), read with the 2FA state in one query. */
async function checkPassword(user: PublicUser, password: string, address: string): Promise<TotpState> {
  await countPasswordAttempt(address, user.email);
  const state = await findTotpState(user.id);
  if (!state || !(await verifyPassword(password, state.hashedPassword))) throw new AuthFailure('incorrect_password');
  return state;
}

/** A code of the user's active authenticator, spent (the replay guard), or a recovery code, spent. */
async function spendOwnSecondFactor(user: PublicUser, activeSecret: string, factor: SecondFactor): Promise<void> {
  if ('recovery_code' in factor) {
    if (!(await useRecoveryCode(user.id, recoveryCodeHash(factor.recovery_code)))) throw new AuthFailure('incorrect_code');
    return;
  }
  const secret = openSecret(activeSecret, user.id);
  const step = secret === undefined ? undefined : matchingStep(secret, factor.code);
  if (step === undefined || !(await useTotpStep(user.id, step))) throw new AuthFailure('incorrect_code');
}

/**
 * POST /auth/2fa/totp/setup: a new secret, pending until a code confirms it; while 2FA is on, the
 * current one keeps working until then (and setting up again needs one of its codes).
 */
export async function beginTotpSetup(user: PublicUser, password: string, code: string | undefined, address: string) {
  const state = await checkPassword(user, password, address);
  if (state.secret) {
    if (code === undefined) throw new AuthFailure('code_required');
    await spendOwnSecondFactor(user, state.secret, { code });
  }
  const secret = newTotpSecret();
  await storePendingSecret(user.id, sealSecret(secret, user.id));
  const { otpauthUri, qrSvg } = await enrolment(secret, user.email);
  return { secret, otpauth_uri: otpauthUri, qr_svg: qrSvg };
}

/**
 * POST /auth/2fa/totp/confirm: the first code turns the pending secret on; ten recovery codes, shown
 * once. Each try is counted as a password guess: with only an access token, a thief could otherwise
 * try every code against a setup the owner left pending, and replace the owner's authenticator.
 */
export async function confirmTotp(user: PublicUser, code: string, address: string): Promise<{ recovery_codes: string[] }> {
  await countPasswordAttempt(address, user.email);
  const state = await findTotpState(user.id);
  if (!state?.pending) throw new AuthFailure('no_pending_setup');
  const secret = openSecret(state.pending, user.id);
  const step = secret === undefined ? undefined : matchingStep(secret, code);
  if (step === undefined) throw new AuthFailure('incorrect_code');
  const codes = newRecoveryCodes();
  // Only if the pending secret is still the one this code matched (a second setup may have replaced it).
  if (!(await activateTotp(user.id, state.pending, step, codes.map(recoveryCodeHash)))) throw new AuthFailure('incorrect_code');
  sendTwoFactorEnabled(user.email);
  return { recovery_codes: codes };
}

/** POST /auth/2fa/recovery-codes: ten new codes, the earlier ones void. */
export async function regenerateRecoveryCodes(user: PublicUser, password: string, address: string): Promise<{ recovery_codes: string[] }> {
  await checkPassword(user, password, address);
  const codes = newRecoveryCodes();
  if (!(await replaceRecoveryCodes(user.id, codes.map(recoveryCodeHash)))) throw new AuthFailure('two_factor_not_enabled');
  sendRecoveryCodesReplaced(user.email);
  return { recovery_codes: codes };
}

/** DELETE /auth/2fa/totp: with the password and a code (or a recovery code), 2FA off. */
export async function disableOwnTotp(user: PublicUser, password: string, factor: SecondFactor, address: string): Promise<void> {
  const state = await checkPassword(user, password, address);
  if (!state.secret) throw new AuthFailure('two_factor_not_enabled');
  await spendOwnSecondFactor(user, state.secret, factor);
  await disableTotp(user.id);
  sendTwoFactorDisabled(user.email);
}
