import { sql } from 'drizzle-orm';
import { config } from '../../config';
import { readWithRetry } from '../../db/read-retry';
import { pendingSignups, users } from '../../db/schema';
import { AuthFailure } from '../errors';
import { deviceTokenAfterLogin, knownClientColumns, knownClientOf } from '../store/known-clients';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../crypto/password';
import { countPasswordAttempt } from '../limits/password-backoff';
import { startLoginSession, type IssuedSession, type LoginClient } from '../store/sessions';
import { createMfaChallenge } from '../store/two-factor';
import { upgradePasswordHash } from '../store/users';

type Candidate = {
  id: string | null;
  email: string | null;
  hashed_password: string | null;
  is_active: boolean | null;
  email_verified: boolean | null;
  /** EMAIL_VERIFICATION=required: the password of a live pending sign-up of this email. */
  pending_hash: string | null;
  /** Whether the account has two-factor on (a TOTP secret). */
  two_factor: boolean | null;
  known_device: boolean;
  known_address: boolean;
};

export type LoggedIn = IssuedSession & { userId: string };
/** The right password for an account with 2FA: the token of the second step, nothing else. */
export type SecondFactorRequired = { mfaToken: string };

/**
 * One read: the account with this email (if any), its pending sign-up, and whether it knows this
 * client (lib/auth/store/known-clients.ts). The same statement whether or not the account exists.
 */
async function findCandidate(email: string, address: string, deviceToken: string | undefined): Promise<Candidate> {
  const { rows } = await readWithRetry((db) => db.execute<Candidate>(sql`
    select u.${sql.identifier(users.id.name)} as id, u.${sql.identifier(users.email.name)} as email,
      u.${sql.identifier(users.hashedPassword.name)} as hashed_password, u.${sql.identifier(users.isActive.name)} as is_active,
      u.${sql.identifier(users.emailVerifiedAt.name)} is not null as email_verified,
      u.${sql.identifier(users.totpSecret.name)} is not null as two_factor,
      p.${sql.identifier(pendingSignups.hashedPassword.name)} as pending_hash,
      ${knownClientColumns(sql`u.${sql.identifier(users.id.name)}`, address, deviceToken)}
    from (select ${email.toLowerCase()}::text as email) as asked
    left join ${users} as u on lower(u.${sql.identifier(users.email.name)}) = asked.email
    left join ${pendingSignups} as p on p.${sql.identifier(pendingSignups.email.name)} = asked.email
      and p.${sql.identifier(pendingSignups.expiresAt.name)} > now()`));
  return rows[0]!;
}

/**
 * A login, every step of it (as the FastAPI template's crud.authenticate): count the attempt (as a
 * known client's, when the device token or the address is one the account knows), check the
 * password, then start a session. Throws AuthFailure; returns the new session and the device token
 * the client keeps for its next logins.
 */
export async function logIn(
  email: string,
  password: string,
  client: LoginClient & { deviceToken?: string },
): Promise<(LoggedIn & { deviceToken: string }) | SecondFactorRequired> {
  const candidate = await findCandidate(email, client.address, client.deviceToken);
  const known = knownClientOf(candidate, client.deviceToken);
  await countPasswordAttempt(client.address, email, known);
  // An unknown email is compared against a dummy hash: same work, same time, same answer.
  const matches = await verifyPassword(password, candidate.hashed_password ?? dummyHash());
  if (!candidate.id || !candidate.hashed_password || !matches) {
    if (config().mail.emailVerification === 'required') {
      // The password of a pending sign-up answers as an unverified account's would, whether or not
      // the email has an account: a sign-up followed by a login tells an outsider nothing. Always a
      // second compare here, so that the time does not tell whether a sign-up is pending.
      const pending = await verifyPassword(password, candidate.pending_hash ?? dummyHash());
      if (pending && candidate.pending_hash) throw new AuthFailure('email_not_verified');
    }
    throw new AuthFailure('invalid_credentials');
  }
  const user = { id: candidate.id, email: candidate.email! };
  // Only someone who knows the password learns that the account is disabled.
  if (!candidate.is_active) throw new AuthFailure('inactive_user');
  // EMAIL_VERIFICATION=required: likewise, only the right password learns that the email is unconfirmed.
  if (!candidate.email_verified && config().mail.emailVerification === 'required') throw new AuthFailure('email_not_verified');

  let verifiedHash = candidate.hashed_password;
  if (needsRehash(verifiedHash)) {
    // BCRYPT_COST changed since this hash was made: upgrade it now that we hold the password (only
    // if it is still the stored one).
    const upgraded = await hashPassword(password);
    if (await upgradePasswordHash(user.id, verifiedHash, upgraded)) verifiedHash = upgraded;
  }
  // Two-factor: the password alone starts nothing. The counted attempt stays counted until the
  // second step succeeds.
  if (candidate.two_factor) return { mfaToken: await createMfaChallenge(user.id, verifiedHash) };
  const keptToken = deviceTokenAfterLogin(known, client.deviceToken);
  const session = await startLoginSession(user, verifiedHash, { ...client, known, deviceToken: keptToken });
  // The password changed, or the account was deactivated, while we were checking: the guess is stale.
  if (!session) throw new AuthFailure('invalid_credentials');
  return { ...session, userId: user.id, deviceToken: keptToken };
}
