import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    hashedPassword: text('hashed_password').notNull(),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the owner proved the address is theirs (a link from POST /auth/email/verify); null until then. */
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    /**
     * Two-factor authentication: the active TOTP secret, AES-256-GCM under TOTP_ENCRYPTION_KEY
     * (lib/auth/crypto/totp.ts); null while 2FA is off. Its presence is what `two_factor_enabled` says.
     */
    totpSecret: text('totp_secret'),
    /** A secret from POST /auth/2fa/totp/setup awaiting its first code (encrypted alike). */
    totpPendingSecret: text('totp_pending_secret'),
    /** The last TOTP time step accepted: a code of this step or an earlier one is refused (replay). */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  },
  // Unique whatever the case: "Ann@x.io" and "ann@x.io" are one account. Registration stores emails
  // lowercased already; the index is what makes it hold under concurrent inserts.
  (table) => [uniqueIndex('users_email_lower_key').on(sql`lower(${table.email})`)],
);

export type User = typeof users.$inferSelect;

/**
 * A session is one login. Its id is the access token's `sid` claim; revoking it (logout, password
 * change, refresh-token reuse) ends its refresh tokens and, where handlers check, its access tokens.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Moves forward on each refresh: REFRESH_TOKEN_TTL past its last use, never past created_at + SESSION_MAX_AGE. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    /** The client the session started from, as the login saw it: shown to the owner (GET /auth/sessions). */
    userAgent: text('user_agent'),
    /** The client address of the login, as the rate limits saw it (lib/http/client-address.ts). */
    ip: text('ip'),
    /** How the login proved who it was (RFC 8176), carried by every access token of the session: pwd, otp. */
    amr: text('amr').array().notNull().default(sql`'{pwd}'::text[]`),
    // The refresh tokens (lib/auth/crypto/refresh-tokens.ts, lib/auth/store/sessions.ts): a fixed set
    // of columns whatever the number of refreshes. Only hashes are stored; a leaked table grants nothing.
    /** SHA-256 (hex) of the family every token of this session carries: how a token finds its session. */
    refreshFamilyHash: text('refresh_family_hash'),
    /** The live token's generation: any token of an older one is a copy (reuse), but the grace retry. */
    refreshGeneration: integer('refresh_generation').notNull().default(0),
    /** SHA-256 (hex) of the live refresh token. */
    refreshTokenHash: text('refresh_token_hash'),
    /** SHA-256 (hex) of the token spent just before the live one, and when: the grace retry's. */
    previousTokenHash: text('previous_token_hash'),
    previousSpentAt: timestamp('previous_spent_at', { withTimezone: true }),
    /**
     * The live token encrypted under a key derived from the previous token (which is not stored): a
     * retry within REFRESH_REUSE_GRACE gets it back, and the table alone yields nothing usable.
     */
    successorCiphertext: text('successor_ciphertext'),
  },
  (table) => [
    index('sessions_user_id_idx').on(table.userId),
    uniqueIndex('sessions_refresh_family_hash_key').on(table.refreshFamilyHash),
  ],
);

/**
 * Rate-limit counters, in PostgreSQL so that every server instance (serverless functions included)
 * shares them. One row per key, e.g. `login:ip:<address>`, `login:account:<sha256 of email>` and
 * `login:account:<sha256 of email>:ip:<address>` (lib/auth/limits/counters.ts).
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    hits: integer('hits').notNull(),
    windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull().defaultNow(),
    /** Failed-login back-off: no attempt this row counts is checked before this moment. */
    blockedUntil: timestamp('blocked_until', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // The counting statements find the few stalest rows to delete through it, without a scan.
  (table) => [index('rate_limits_updated_at_idx').on(table.updatedAt)],
);

/**
 * Single-use tokens sent by email: password reset and email verification. Only the SHA-256 of a token
 * is stored. A token is live while used_at is null and expires_at is in the future; asking for a new
 * one marks the older ones of the same purpose used.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['password_reset', 'email_verification'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (table) => [
    index('account_tokens_user_id_purpose_idx').on(table.userId, table.purpose),
    // At most one unused token per account and purpose: issuing a link replaces the unused one in
    // place (insert ... on conflict), so that concurrent requests cannot leave two live links.
    uniqueIndex('account_tokens_unused_key').on(table.userId, table.purpose).where(sql`used_at is null`),
  ],
);

/**
 * EMAIL_VERIFICATION=required: a sign-up waiting for its link. No account exists until the link is
 * followed; the link then creates the account (or sets the password of an unverified one) with this
 * sign-up's password. One per email: a newer sign-up replaces the older one, voiding its link.
 */
export const pendingSignups = pgTable('pending_signups', {
  /** Lowercased (registration lowercases every email). */
  email: text('email').primaryKey(),
  /** SHA-256 of the link's token; null for a sign-up of a verified account (it gets a notice, no link). */
  tokenHash: text('token_hash').unique(),
  hashedPassword: text('hashed_password').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/**
 * Clients an account has logged in from (lib/auth/store/known-clients.ts): a device, by the SHA-256 of
 * its device token (`device:<hash>`), or an address bucket (`address:<bucket>`). A login from one is
 * never held back by the account-wide cap on failed logins; it has a back-off of its own.
 */
export const knownClients = pgTable(
  'known_clients',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    client: text('client').notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.client] })],
);

/**
 * Recovery codes: ten per account with 2FA, each single use. Only the SHA-256 of a code is stored (the
 * codes are random, 50 bits each, so a fast hash suffices, as for refresh tokens).
 */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (table) => [primaryKey({ columns: [table.userId, table.codeHash] })],
);

/**
 * The second step of a login with 2FA: issued after the right password (the `mfa_token`), good for
 * one completion within 5 minutes and a few tries. Only its SHA-256 is stored; it is bound to the
 * account and to the password hash that was verified (its SHA-256), so a password change voids it.
 */
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    passwordFingerprint: text('password_fingerprint').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Codes tried with this token; past MFA_MAX_TRIES it is refused. */
    tries: integer('tries').notNull().default(0),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (table) => [index('mfa_challenges_user_id_idx').on(table.userId), index('mfa_challenges_expires_at_idx').on(table.expiresAt)],
);
