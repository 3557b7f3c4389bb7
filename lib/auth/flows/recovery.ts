import { findTokenAccount, issueAccountToken } from '../store/account-tokens';
import { AuthFailure } from '../errors';
import { newDeviceToken } from '../store/known-clients';
import { requireMailOn } from './mail-off';
import { sendPasswordChanged, sendPasswordReset } from './notify';
import { hashPassword } from '../crypto/password';
import { countResetMail } from '../limits/mail';
import { limitByAddress } from '../limits/window';
import { resetPasswordWithToken } from '../store/users';

/**
 * "Forgot password": a reset link to the account's email. The caller answers the same whatever
 * happens here (no account, a deactivated one, too many requests for this email), and the statements
 * are the same whether an account exists: nothing tells who has an account. Limited per client address
 * (rate_limited) and per email (countResetMail; past it, nothing is sent and nothing is said).
 */
export async function requestPasswordReset(email: string, clientAddress: string): Promise<void> {
  requireMailOn();
  await limitByAddress('forgot', clientAddress);
  if (!(await countResetMail(email, clientAddress))) return;
  const issued = await issueAccountToken('password_reset', { email });
  if (issued) sendPasswordReset(issued.email, issued.token);
}

/**
 * A new password from a reset link. A dead link is refused before the new password is hashed (so
 * guessing links costs no hashing); then one transaction spends the token and, only if that worked,
 * stores the hash, verifies the email, ends every session and remembers this client as the account's
 * (lib/auth/store/users.ts). The owner is told. Returns the device token for the client's next logins: the
 * guesses that made the owner reset cannot hold that client back (lib/auth/store/known-clients.ts).
 */
export async function resetPassword(token: string, newPassword: string, clientAddress: string): Promise<{ deviceToken: string }> {
  const account = await findTokenAccount(token, 'password_reset');
  if (!account) throw new AuthFailure('invalid_link_token');
  const deviceToken = newDeviceToken();
  const changed = await resetPasswordWithToken(token, account, await hashPassword(newPassword), { address: clientAddress, deviceToken });
  // Spent by a concurrent reset (or voided) while we hashed: exactly one of them wins.
  if (!changed) throw new AuthFailure('invalid_link_token');
  sendPasswordChanged(changed.email);
  return { deviceToken };
}
