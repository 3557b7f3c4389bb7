import { AuthFailure } from './errors';
import { hashPassword, verifyPassword } from './password';
import { countPasswordAttempt } from './rate-limit';
import { changePassword, findPasswordHash } from './users';
import type { PublicUser } from './users';

/**
 * A signed-in user changes their password: the current one is checked under the same limits as a
 * login (a stolen access token must not become a way to guess it), then the new hash is stored and
 * every other session ends; this one stays signed in.
 */
export async function changeOwnPassword(
  user: PublicUser,
  sessionId: string,
  passwords: { current: string; next: string },
  clientAddress: string,
): Promise<void> {
  await countPasswordAttempt(clientAddress, user.email);
  const hash = await findPasswordHash(user.id);
  if (!hash || !(await verifyPassword(passwords.current, hash))) throw new AuthFailure('incorrect_password');
  await changePassword(user, await hashPassword(passwords.next), sessionId);
}
