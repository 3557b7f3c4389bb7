import { AuthFailure } from '../errors';
import { sendAccountDeleted, sendPasswordChanged } from './notify';
import { hashPassword, verifyPassword } from '../crypto/password';
import { countPasswordAttempt } from '../limits/password-backoff';
import { newDeviceToken } from '../store/known-clients';
import { changePassword, deleteUser, findPasswordHash } from '../store/users';
import type { IssuedSession, LoginClient } from '../store/sessions';
import type { PublicUser } from '../wire/public-user';

/**
 * The signed-in user's password is checked under the same limits as a login (a stolen access token
 * must not become a way to guess it), before a change or a deletion. Returns the hash it matched: the
 * write that follows happens only if that is still the stored one.
 */
async function checkOwnPassword(user: PublicUser, password: string, clientAddress: string): Promise<string> {
  await countPasswordAttempt(clientAddress, user.email);
  const hash = await findPasswordHash(user.id);
  if (!hash || !(await verifyPassword(password, hash))) throw new AuthFailure('incorrect_password');
  return hash;
}

/**
 * A signed-in user changes their password: the current one is checked, then the new hash is stored and
 * every session ends, this one included (a thief who shares it is out); the owner goes on in a new
 * session, returned. The owner is told by email.
 */
export async function changeOwnPassword(
  user: PublicUser,
  passwords: { current: string; next: string },
  client: LoginClient,
): Promise<IssuedSession & { deviceToken: string }> {
  const verifiedHash = await checkOwnPassword(user, passwords.current, client.address);
  // The answer is a login's, device token included: this client is then a known one.
  const deviceToken = newDeviceToken();
  // Another password write (a reset, the admin) landed while we checked: the password we checked is
  // no longer the password, and the answer is the same as for a wrong one.
  const session = await changePassword(user, await hashPassword(passwords.next), verifiedHash, { ...client, deviceToken });
  if (!session) throw new AuthFailure('incorrect_password');
  sendPasswordChanged(user.email);
  return { ...session, deviceToken };
}

/** A signed-in user deletes their account, with their password: everything of it goes. The owner is told. */
export async function deleteOwnAccount(user: PublicUser, password: string, clientAddress: string): Promise<void> {
  const verifiedHash = await checkOwnPassword(user, password, clientAddress);
  if (!(await deleteUser(user, verifiedHash))) throw new AuthFailure('incorrect_password');
  sendAccountDeleted(user.email);
}
