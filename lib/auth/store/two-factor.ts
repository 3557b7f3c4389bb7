import { createHash, randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { getDb } from '../../db';
import { mfaChallenges, recoveryCodes, users } from '../../db/schema';
import { revokeAllSessions } from './sessions';
import { knownClientColumns } from './known-clients';

/**
 * SQL of two-factor authentication: the TOTP secret and its last used step (on users), recovery codes,
 * and the login challenges (mfa_token). Every single-use thing here is spent by a conditional UPDATE
 * that returns a row only to the one request that spent it: of two requests racing with one code, one
 * token or one recovery code, the second waits for the first's row lock, then sees it spent.
 */

const u = {
  totpSecret: sql.identifier(users.totpSecret.name),
  totpPendingSecret: sql.identifier(users.totpPendingSecret.name),
  totpLastStep: sql.identifier(users.totpLastStep.name),
};
const rc = {
  userId: sql.identifier(recoveryCodes.userId.name),
  codeHash: sql.identifier(recoveryCodes.codeHash.name),
  usedAt: sql.identifier(recoveryCodes.usedAt.name),
};
const mc = {
  tokenHash: sql.identifier(mfaChallenges.tokenHash.name),
  userId: sql.identifier(mfaChallenges.userId.name),
  passwordFingerprint: sql.identifier(mfaChallenges.passwordFingerprint.name),
  expiresAt: sql.identifier(mfaChallenges.expiresAt.name),
  tries: sql.identifier(mfaChallenges.tries.name),
  usedAt: sql.identifier(mfaChallenges.usedAt.name),
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A login's second step (POST /auth/login/2fa) must come within this many seconds of the password ... */
export const MFA_TOKEN_TTL = 5 * 60;
/** ... and gets this many codes tried with one mfa_token. */
export const MFA_MAX_TRIES = 5;

export type TotpState = { hashedPassword: string; secret: string | null; pending: string | null };

/** What a two-factor change checks, in one read: the password hash and the sealed active and pending secrets. */
export async function findTotpState(userId: string): Promise<TotpState | undefined> {
  const { rows } = await getDb().execute<TotpState>(sql`
    select ${users.hashedPassword} as "hashedPassword", ${users.totpSecret} as secret, ${users.totpPendingSecret} as pending
    from ${users} where ${users.id} = ${userId}`);
  return rows[0];
}

/** Stores a new secret awaiting confirmation (replacing any earlier one); the active one stays. */
export async function storePendingSecret(userId: string, sealed: string): Promise<void> {
  await getDb().execute(sql`update ${users} set ${u.totpPendingSecret} = ${sealed} where ${users.id} = ${userId}`);
}

/** `values (...), (...)` of the new recovery codes' hashes, for an insert ... select. */
const hashValues = (hashes: string[]) => sql.join(hashes.map((hash) => sql`(${hash})`), sql`, `);

/** WITH-list items: the recovery codes of the account the CTE `owner` yields (column id) replaced by these. */
function codesReplaced(owner: SQL, codeHashes: string[]): SQL {
  return sql`voided as (
      delete from ${recoveryCodes} where ${recoveryCodes.userId} in (select id from ${owner})
    ), issued as (
      insert into ${recoveryCodes} (${rc.userId}, ${rc.codeHash})
      select id, code.hash from ${owner}, (values ${hashValues(codeHashes)}) as code(hash)
    )`;
}

/**
 * One statement: the pending secret that was verified becomes the active one (only if it is still the
 * pending one), its last used step is the confirming code's (that code cannot log in afterwards), and
 * the recovery codes are replaced by these. False when the pending secret changed meanwhile.
 */
export async function activateTotp(userId: string, verifiedPending: string, step: number, codeHashes: string[]): Promise<boolean> {
  const { rows } = await getDb().execute<{ id: string }>(sql`
    with activated as (
      update ${users} set ${u.totpSecret} = ${u.totpPendingSecret}, ${u.totpPendingSecret} = null, ${u.totpLastStep} = ${step}
      where ${users.id} = ${userId} and ${users.totpPendingSecret} = ${verifiedPending}
      returning ${users.id} as id
    ), ${codesReplaced(sql`activated`, codeHashes)}
    select id from activated`);
  return rows.length === 1;
}

/** One statement: a new set of recovery codes, the old ones void; false when 2FA is off. */
export async function replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<boolean> {
  const { rows } = await getDb().execute<{ id: string }>(sql`
    with owner as (
      select ${users.id} as id from ${users} where ${users.id} = ${userId} and ${users.totpSecret} is not null for update
    ), ${codesReplaced(sql`owner`, codeHashes)}
    select id from owner`);
  return rows.length === 1;
}

/**
 * The replay guard, as a compare-and-set: records `step` as the last used one only if every step used
 * before is earlier. Of two requests with one code, the second waits for the first's row lock, then
 * re-reads the row and finds the step taken. `then`, when given, is a statement that runs only if the
 * step was taken (it reads the CTE `step_taken`).
 */
function takeStep(userId: string, step: number, onlyIf: SQL = sql`true`): SQL {
  return sql`step_taken as (
      update ${users} set ${u.totpLastStep} = ${step}
      where ${users.id} = ${userId} and ${users.totpSecret} is not null
        and (${users.totpLastStep} is null or ${users.totpLastStep} < ${step}) and ${onlyIf}
      returning ${users.id} as id
    )`;
}

/** One statement: spends a TOTP code's step for a signed-in user's request (turning 2FA off, setup again). */
export async function useTotpStep(userId: string, step: number): Promise<boolean> {
  const { rows } = await getDb().execute(sql`with ${takeStep(userId, step)} select id from step_taken`);
  return rows.length === 1;
}

/** One statement: spends one of the user's live recovery codes; false when it is not one. */
function spendRecoveryCode(userId: string, codeHash: string, onlyIf: SQL = sql`true`): SQL {
  return sql`code_spent as (
      update ${recoveryCodes} set ${rc.usedAt} = now()
      where ${recoveryCodes.userId} = ${userId} and ${recoveryCodes.codeHash} = ${codeHash} and ${recoveryCodes.usedAt} is null and ${onlyIf}
      returning ${recoveryCodes.userId} as id
    )`;
}

export async function useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
  const { rows } = await getDb().execute(sql`with ${spendRecoveryCode(userId, codeHash)} select id from code_spent`);
  return rows.length === 1;
}

/**
 * Turns 2FA off in one statement: secrets and last step cleared, recovery codes and login challenges
 * deleted; with `endSessions` (the admin's reset) every session revoked too, in the same transaction.
 * False when it was not on (nor pending).
 */
export async function disableTotp(userId: string, { endSessions = false } = {}): Promise<boolean> {
  if (!endSessions) return (await turnOff(getDb(), userId)).wasOn;
  return getDb().transaction(async (tx) => {
    const { id, wasOn } = await turnOff(tx, userId);
    if (id) await revokeAllSessions(userId, { db: tx });
    return wasOn;
  });
}

async function turnOff(db: Pick<ReturnType<typeof getDb>, 'execute'>, userId: string): Promise<{ id?: string; wasOn: boolean }> {
  const { rows } = await db.execute<{ id: string; was_on: boolean }>(sql`
      with before as (
        select ${users.id} as id, ${users.totpSecret} is not null or ${users.totpPendingSecret} is not null as was_on
        from ${users} where ${users.id} = ${userId} for update
      ), cleared as (
        update ${users} set ${u.totpSecret} = null, ${u.totpPendingSecret} = null, ${u.totpLastStep} = null
        where ${users.id} in (select id from before)
      ), codes as (
        delete from ${recoveryCodes} where ${recoveryCodes.userId} in (select id from before)
      ), challenges as (
        delete from ${mfaChallenges} where ${mfaChallenges.userId} in (select id from before)
      )
      select id, was_on from before`);
  return { id: rows[0]?.id, wasOn: rows[0]?.was_on === true };
}

/** The password hash a challenge is bound to, as stored with it (its SHA-256: never the hash itself). */
export const passwordFingerprint = (hashedPassword: string) => sha256(hashedPassword);

/**
 * A new login challenge for the account: its token (only the SHA-256 is stored). The same statement
 * deletes the account's spent and expired challenges, so the table holds only live ones (and the
 * login limits bound how many of those a password guesser can make).
 */
export async function createMfaChallenge(userId: string, verifiedHash: string, lifetimeSeconds = MFA_TOKEN_TTL): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await getDb().execute(sql`
    with forgotten as (
      delete from ${mfaChallenges}
      where ${mfaChallenges.userId} = ${userId} and (${mfaChallenges.expiresAt} <= now() or ${mfaChallenges.usedAt} is not null)
    )
    insert into ${mfaChallenges} (${mc.tokenHash}, ${mc.userId}, ${mc.passwordFingerprint}, ${mc.expiresAt})
    values (${sha256(token)}, ${userId}, ${passwordFingerprint(verifiedHash)}, now() + make_interval(secs => ${lifetimeSeconds}))`);
  return token;
}

export type ChallengedUser = {
  id: string;
  email: string;
  hashed_password: string;
  password_fingerprint: string;
  totp_secret: string | null;
  /** This try's number on the challenge, from 1. */
  tries: number;
  known_device: boolean;
  known_address: boolean;
};

/**
 * One statement: counts a try against a live challenge (unused, unexpired, fewer than `maxTries` so
 * far) and returns its account, and whether the account knows this client (for the login limits);
 * undefined when there is none: each try is counted before the code is checked, under the row's
 * lock, so parallel tries cannot exceed the limit.
 */
export async function claimChallengeTry(
  token: string,
  client: { address: string; deviceToken?: string },
  maxTries = MFA_MAX_TRIES,
): Promise<ChallengedUser | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const { rows } = await getDb().execute<ChallengedUser>(sql`
    update ${mfaChallenges} c set ${mc.tries} = c.${mc.tries} + 1
    from ${users} u
    where c.${mc.tokenHash} = ${sha256(token)} and c.${mc.usedAt} is null and c.${mc.expiresAt} > now()
      and c.${mc.tries} < ${maxTries} and u.${sql.identifier(users.id.name)} = c.${mc.userId}
    returning u.${sql.identifier(users.id.name)} as id, u.${sql.identifier(users.email.name)} as email,
      u.${sql.identifier(users.hashedPassword.name)} as hashed_password, c.${mc.passwordFingerprint} as password_fingerprint,
      u.${u.totpSecret} as totp_secret, c.${mc.tries} as tries, ${knownClientColumns(sql`u.${sql.identifier(users.id.name)}`, client.address, client.deviceToken)}`);
  return rows[0];
}

/**
 * One statement: the second factor spent (the TOTP step, or the recovery code), only while the
 * challenge is live, and, only if it was, the challenge spent too. Undefined when either was spent
 * already; else how many recovery codes are left unused.
 */
export async function passChallenge(
  token: string,
  userId: string,
  proof: { step: number } | { recoveryCodeHash: string },
): Promise<{ remainingRecoveryCodes: number } | undefined> {
  // The challenge's row is locked first, and the factor spent only while the challenge is live: of two
  // second steps racing on one token, the later one waits, then finds it used and spends nothing.
  const live = sql`exists (select from challenge)`;
  const spend = 'step' in proof ? takeStep(userId, proof.step, live) : spendRecoveryCode(userId, proof.recoveryCodeHash, live);
  const spent = 'step' in proof ? sql`step_taken` : sql`code_spent`;
  // The count reads the codes as they were before this statement: minus the one it spends, if any.
  const { rows } = await getDb().execute<{ remaining: number }>(sql`
    with challenge as (
      select 1 from ${mfaChallenges} where ${mfaChallenges.tokenHash} = ${sha256(token)} and ${mfaChallenges.usedAt} is null for update
    ), ${spend}
    update ${mfaChallenges} set ${mc.usedAt} = now()
    where ${mfaChallenges.tokenHash} = ${sha256(token)} and ${mfaChallenges.usedAt} is null and exists (select from ${spent})
    returning (select count(*)::int from ${recoveryCodes} where ${recoveryCodes.userId} = ${userId} and ${recoveryCodes.usedAt} is null)
      - ${'step' in proof ? sql`0` : sql`1`} as remaining`);
  return rows[0] && { remainingRecoveryCodes: rows[0].remaining };
}
