/**
 * The mutants `npm run test:mutants` (scripts/testing/mutants.ts) plants, one at a time: each is a bug a
 * security check exists to prevent, made by exact text replacements in named files, with the specs that
 * must catch it. A replacement whose text is no longer found (the code moved on) makes the run fail:
 * update the mutant, never drop it silently.
 */

export type Mutant = {
  name: string;
  /** What the bug lets through, in a line. */
  description: string;
  /** Exact replacements; each `from` must occur exactly once in its file. */
  edits: { file: string; from: string; to: string }[];
  /** The spec files that must fail with the mutant in place. */
  specs: string[];
  /** Run the specs this many times (for a race that a single run catches only most of the time). */
  repeatEach?: number;
  /**
   * The specs call the mutated module in-process and use no server: no `next build` needed. Such
   * mutants run right after the baseline, while the build is still the unmutated one.
   */
  inProcessOnly?: true;
};

const TOKENS = 'lib/auth/crypto/access-tokens.ts';
const GUARD_SPEC = 'tests/across/guard.spec.ts';
const SIGNING_SPEC = 'tests/across/signing.spec.ts';
const PROXY_SPEC = 'tests/across/proxy.spec.ts';
const LOGIC_SPEC = 'tests/endpoints/login/logic.spec.ts';
const REFRESH_SPEC = 'tests/endpoints/refresh/refresh.spec.ts';
const PASSWORD_BACKOFF = 'lib/auth/limits/password-backoff.ts';
const LIMIT_WINDOW = 'lib/auth/limits/window.ts';
const LIMIT_MAIL = 'lib/auth/limits/mail.ts';
const LIMIT_COUNTERS = 'lib/auth/limits/counters.ts';
const RATE_LIMIT_SPEC = 'tests/across/rate-limits.spec.ts';
const TOTP = 'lib/auth/crypto/totp.ts';
const TWO_FACTOR_STORE = 'lib/auth/store/two-factor.ts';
const TWO_FACTOR_ATTACKS = 'tests/endpoints/two-factor/attacks.spec.ts';
const COOKIE = 'lib/http/refresh-cookie.ts';
const COOKIE_SPEC = 'tests/across/refresh-cookie.spec.ts';
const USERS = 'lib/auth/store/users.ts';
const PASSWORD_RACES_SPEC = 'tests/endpoints/password/races.spec.ts';
const KNOWN_CLIENTS = 'lib/auth/store/known-clients.ts';
const DEVICES_SPEC = 'tests/endpoints/login/devices.spec.ts';
const PENDING = 'lib/auth/store/pending-signups.ts';
const PENDING_SPEC = 'tests/endpoints/register/pending.spec.ts';
const SESSIONS = 'lib/auth/store/sessions.ts';
const REUSE_SPEC = 'tests/endpoints/refresh/reuse.spec.ts';

export const MUTANTS: Mutant[] = [
  // Access-token verification (lib/auth/crypto/access-tokens.ts)
  {
    name: 'aud-unchecked',
    description: 'access-token verification ignores the audience',
    edits: [{ file: TOKENS, from: '        audience: settings.audience,\n', to: '' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'iss-unchecked',
    description: 'access-token verification ignores the issuer',
    edits: [{ file: TOKENS, from: '        issuer: settings.issuer,\n', to: '' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'typ-unchecked',
    description: 'access-token verification ignores typ (any JWT passes for an access token)',
    edits: [{ file: TOKENS, from: '        typ: ACCESS_TOKEN_TYP,\n', to: '' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'clock-tolerance-2min',
    description: 'clock tolerance 5 s -> 2 min: a token expired, or not yet valid (nbf), by a minute passes',
    edits: [{ file: TOKENS, from: 'clockTolerance: 5,', to: 'clockTolerance: 120,' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'exp-optional',
    description: 'a token without exp is accepted (it never expires)',
    edits: [{ file: TOKENS, from: "requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],", to: "requiredClaims: ['sub', 'sid', 'jti', 'iat']," }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'iat-optional',
    description: 'a token without iat is accepted',
    edits: [{ file: TOKENS, from: "requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],", to: "requiredClaims: ['sub', 'sid', 'jti', 'exp']," }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'jti-optional',
    description: 'a token without jti is accepted',
    edits: [{ file: TOKENS, from: "requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],", to: "requiredClaims: ['sub', 'sid', 'iat', 'exp']," }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'sub-sid-not-uuid',
    description: 'sub and sid are not checked to be UUIDs before they reach the database',
    edits: [{ file: TOKENS, from: '    if (!UUID.test(String(payload.sub)) || !UUID.test(String(payload.sid))) throw invalid();\n', to: '' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'kid-ignored',
    description: 'HS256 verification ignores the kid: any token (no kid, unknown kid) is tried with the current secret',
    edits: [
      {
        file: TOKENS,
        from: "verifyKey: (header) => (header.alg === 'HS256' && header.kid !== undefined ? byKid.get(header.kid) : undefined),",
        to: "verifyKey: (header) => (header.alg === 'HS256' ? { alg: 'HS256', key: signingKey! } : undefined),",
      },
    ],
    specs: [GUARD_SPEC, SIGNING_SPEC],
  },
  {
    name: 'unknown-kid-falls-back',
    description: 'an HS256 token with an unknown kid is tried with the current secret',
    edits: [{ file: TOKENS, from: '? byKid.get(header.kid) : undefined', to: '? (byKid.get(header.kid) ?? byKid.get(secretKid(signing.secret))) : undefined' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'previous-secrets-ignored',
    description: 'JWT_PREVIOUS_SECRETS are not loaded: a rotation logs everyone out',
    edits: [{ file: TOKENS, from: 'for (const secret of [signing.secret, ...signing.previousSecrets]) {', to: 'for (const secret of [signing.secret]) {' }],
    specs: [SIGNING_SPEC],
  },
  {
    name: 'retired-keys-ignored',
    description: 'JWT_RETIRED_PUBLIC_KEYS are not loaded: a key rotation logs everyone out',
    edits: [{ file: TOKENS, from: 'for (const jwk of signing.publicJwks) byKid.set(', to: 'for (const jwk of signing.publicJwks.slice(0, 1)) byKid.set(' }],
    specs: [SIGNING_SPEC],
  },
  {
    // The algorithm is checked twice: jose's `algorithms` list and each key pinned to its own alg.
    // Either alone still refuses every forged alg (a mutant removing one survives, by design), so
    // this mutant removes both.
    name: 'alg-unpinned',
    description: 'neither the algorithms list nor the per-key alg pin: HS512, or HS256 on an EdDSA server, gets through',
    edits: [
      { file: TOKENS, from: '        algorithms,\n        typ:', to: '        typ:' },
      { file: TOKENS, from: "(header.alg === 'HS256' && header.kid !== undefined ?", to: '(header.kid !== undefined ?' },
      { file: TOKENS, from: 'return entry && entry.alg === header.alg ? entry : undefined;', to: 'return entry;' },
    ],
    specs: [GUARD_SPEC, SIGNING_SPEC],
  },
  {
    name: 'signature-unchecked',
    description: 'the signature is never checked (the token is re-signed with the server key before jose verifies it)',
    edits: [
      { file: TOKENS, from: "import { errors, importJWK, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';", to: "import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';" },
      { file: TOKENS, from: 'const { payload } = await jwtVerify(\n      token,', to: 'const { payload } = await jwtVerify(\n      await resigned(token),' },
      {
        file: TOKENS,
        from: 'const UUID = ',
        to:
          'async function resigned(token: string): Promise<string> {\n' +
          '  const header = decodeProtectedHeader(token);\n' +
          "  if (header.alg !== 'HS256') return token;\n" +
          "  return new SignJWT(decodeJwt(token)).setProtectedHeader({ ...header, alg: 'HS256' }).sign((await processKeys()).signingKey);\n" +
          '}\n\nconst UUID = ',
      },
    ],
    specs: [GUARD_SPEC],
  },

  // The handler's check (lib/auth/flows/guard.ts) and the proxy (proxy.ts)
  {
    name: 'requireUser-skips-session',
    description: 'a token of a logged-out or revoked session still works until it expires',
    edits: [{ file: 'lib/auth/flows/guard.ts', from: "  if (!found.sessionLive) throw new AuthFailure('invalid_token', 'The session of this token has ended; log in again.');\n", to: '' }],
    specs: [GUARD_SPEC, PROXY_SPEC, 'tests/endpoints/logout/logout.spec.ts'],
  },
  {
    name: 'requireUser-skips-active',
    description: "a deactivated user's token still works",
    edits: [{ file: 'lib/auth/flows/guard.ts', from: 'if (!found || !found.user.isActive) throw', to: 'if (!found) throw' }],
    specs: [GUARD_SPEC],
  },
  {
    name: 'proxy-lets-tokenless-through',
    description: 'proxy.ts passes requests that carry no Authorization header',
    edits: [{ file: 'proxy.ts', from: '    if (!byCookie) await requireToken(request);\n', to: "    if (!byCookie && request.headers.has('authorization')) await requireToken(request);\n" }],
    specs: [PROXY_SPEC],
  },
  {
    name: 'proxy-passes-everything',
    description: 'proxy.ts guards nothing (as if it were removed)',
    edits: [{ file: 'proxy.ts', from: "  if (request.method === 'OPTIONS' || guard === undefined) return NextResponse.next();", to: '  if (request.method) return NextResponse.next();' }],
    specs: [PROXY_SPEC],
  },
  {
    name: 'proxy-skips-parameter-paths',
    description: 'the guard table leaves out the protected paths with parameters (/auth/sessions/{id})',
    edits: [{ file: 'lib/api/guarded-paths.ts', from: '  patterns.push({ pattern: new RegExp(`^${source}$`), guard: auth });', to: '  void source;' }],
    specs: [PROXY_SPEC, 'tests/unit/endpoints.spec.ts'],
  },

  // Login (lib/auth/flows/login.ts, password.ts, sessions.ts)
  {
    name: 'unknown-email-skips-compare',
    description: 'login answers 401 at once for an unknown email (no dummy-hash compare): accounts can be found by timing',
    edits: [
      {
        file: 'lib/auth/flows/login.ts',
        from: '  const matches = await verifyPassword(password, candidate.hashed_password ?? dummyHash());',
        to: "  if (!candidate.hashed_password) throw new AuthFailure('invalid_credentials');\n  const matches = await verifyPassword(password, candidate.hashed_password);",
      },
    ],
    specs: [LOGIC_SPEC],
    inProcessOnly: true,
  },
  {
    name: 'dummy-hash-at-cost-10',
    description: 'an unknown email is compared against a cost-10 hash whatever BCRYPT_COST is (faster than a real account)',
    edits: [{ file: 'lib/auth/flows/login.ts', from: 'candidate.hashed_password ?? dummyHash());', to: 'candidate.hashed_password ?? dummyHash(10));' }],
    specs: [LOGIC_SPEC],
    inProcessOnly: true,
  },
  {
    name: 'long-password-skips-compare',
    description: 'a password over 72 bytes is refused without the compare (faster answer)',
    edits: [{ file: 'lib/auth/crypto/password.ts', from: '    await compare(password.slice(0, 1), hash);\n    return false;', to: '    return false;' }],
    specs: [LOGIC_SPEC],
    inProcessOnly: true,
  },
  {
    name: 'login-session-ignores-hash',
    description: 'startLoginSession starts a session although the password changed after it was verified',
    edits: [{ file: 'lib/auth/store/sessions.ts', from: ' and ${users.hashedPassword} = ${verifiedHash} and ${users.isActive}', to: ' and ${users.isActive}' }],
    specs: [LOGIC_SPEC],
    inProcessOnly: true,
  },
  {
    name: 'login-without-share-lock',
    description: "startLoginSession reads the user without FOR SHARE: a login racing a password change keeps its session",
    edits: [{ file: 'lib/auth/store/sessions.ts', from: ' and ${users.isActive} for share`', to: ' and ${users.isActive}`' }],
    specs: ['tests/endpoints/login/races.spec.ts'],
  },
  {
    name: 'login-session-ignores-active',
    description: 'startLoginSession starts a session although the user was deactivated meanwhile',
    edits: [{ file: 'lib/auth/store/sessions.ts', from: ' and ${users.hashedPassword} = ${verifiedHash} and ${users.isActive}', to: ' and ${users.hashedPassword} = ${verifiedHash}' }],
    specs: [LOGIC_SPEC],
    inProcessOnly: true,
  },

  // Refresh rotation (lib/auth/store/sessions.ts)
  {
    name: 'refresh-without-lock',
    description: 'the refresh rotation reads without FOR UPDATE: two concurrent refreshes can both spend one token',
    edits: [{ file: 'lib/auth/store/sessions.ts', from: '      for update of ${sessions}`);', to: '`);' }],
    specs: [REFRESH_SPEC],
  },
  {
    name: 'refresh-ignores-inactive',
    description: 'a deactivated user can still refresh',
    edits: [{ file: 'lib/auth/store/sessions.ts', from: "    if (!session.is_active) return { ok: false, reason: 'inactive_user' } as const;\n", to: '' }],
    specs: [REFRESH_SPEC],
  },
  {
    name: 'refresh-reuse-keeps-session',
    description: 'a spent refresh token presented again (a stolen copy) is refused but the session lives on',
    edits: [
      {
        file: 'lib/auth/store/sessions.ts',
        from: '      await tx.execute(sql`update ${sessions} set ${s.revokedAt} = now() where ${sessions.id} = ${session.session_id}`);\n',
        to: '',
      },
    ],
    specs: [REFRESH_SPEC],
  },

  // Password attempts and pruning (lib/auth/limits)
  {
    name: 'address-backoff-ignored',
    description: "an address past its free guesses at an account is not held by its own back-off",
    edits: [
      {
        file: PASSWORD_BACKOFF,
        from: '      where not coalesce(r.${r.blockedUntil} > now(), false)\n        and not exists (select from account_then where at_cap)',
        to: '      where not exists (select from account_then where at_cap)',
      },
    ],
    specs: [RATE_LIMIT_SPEC],
  },
  {
    name: 'account-cap-unchecked',
    description: 'guesses spread over many addresses are not capped per account (each address gets its free ones)',
    edits: [
      { file: PASSWORD_BACKOFF, from: '      where ${windowOver} or r.${r.hits} < ${accountMax}', to: '      where true' },
      { file: PASSWORD_BACKOFF, from: '        and not exists (select from account_then where at_cap)\n', to: '' },
      { file: PASSWORD_BACKOFF, from: 'from attempt\n      where attempt.hits <= ${settings.loginPerAddress.max} and not exists (select from account_then where at_cap)', to: 'from attempt\n      where attempt.hits <= ${settings.loginPerAddress.max}' },
    ],
    specs: [RATE_LIMIT_SPEC],
  },
  {
    name: 'account-cap-read-unlocked',
    description: "the account's cap is decided on the row as the statement first read it: parallel guesses all pass it",
    edits: [{ file: PASSWORD_BACKOFF, from: '      where ${windowOver} or r.${r.hits} < ${accountMax}', to: '      where true' }],
    specs: [RATE_LIMIT_SPEC],
  },
  {
    name: 'every-check-counts-for-the-account',
    description: "an address's back-off guesses count towards the account's cap: one address alone can lock the owner out",
    edits: [{ file: PASSWORD_BACKOFF, from: 'from pair where pair.failures <= ${free} and ${unknownOnly}', to: 'from pair where ${unknownOnly}' }],
    specs: [RATE_LIMIT_SPEC],
  },
  {
    name: 'shared-backoff-ignored',
    description: 'addresses past their free guesses each get their own back-off only: gathered over hours they add up',
    edits: [
      { file: PASSWORD_BACKOFF, from: '        and (${failures} <= ${free} or not exists (select from backoff_then))\n', to: '' },
      { file: PASSWORD_BACKOFF, from: '      where not coalesce(r.${r.blockedUntil} > now(), false)\n      returning 1', to: '      returning 1' },
    ],
    specs: [RATE_LIMIT_SPEC],
  },
  {
    name: 'rows-past-address-limit',
    description: 'an address over its limit still writes a row for every account it tries (unbounded table)',
    edits: [{ file: PASSWORD_BACKOFF, from: '      where attempt.hits <= ${settings.loginPerAddress.max} and not exists', to: '      where not exists' }],
    specs: [RATE_LIMIT_SPEC],
  },
  {
    name: 'no-pruning',
    description: 'stale rate-limit rows stay until someone runs db:prune',
    edits: [{ file: LIMIT_WINDOW, from: 'const PRUNE_BATCH = 10;', to: 'const PRUNE_BATCH = 0;' }],
    specs: [RATE_LIMIT_SPEC],
  },

  // Known devices and addresses (lib/auth/store/known-clients.ts, lib/auth/limits)
  {
    name: 'known-client-held-by-account-cap',
    description: "a known device or address waits for the account's cap like an unknown client: 4 addresses lock the owner out",
    edits: [{ file: PASSWORD_BACKOFF, from: 'const unknownOnly = known === undefined ? sql`true` : sql`false`;', to: 'const unknownOnly = sql`true`;' }],
    specs: [DEVICES_SPEC],
  },
  {
    name: 'known-client-of-any-account',
    description: 'a device token (or address) known to another account counts as known here',
    edits: [{ file: KNOWN_CLIENTS, from: 'where ${knownClients.userId} = ${userId} and ${knownClients.client}', to: 'where ${knownClients.client}' }],
    specs: [DEVICES_SPEC],
  },
  {
    name: 'device-lane-never-backs-off',
    description: "a stolen device token gets a fresh back-off lane for every guess (unlimited guesses)",
    edits: [{ file: LIMIT_COUNTERS, from: '`${accountCountersPrefix(email)}device:${known.device}`', to: '`${accountCountersPrefix(email)}device:${known.device}:${Math.random()}`' }],
    specs: [DEVICES_SPEC],
  },
  {
    name: 'ipv6-source-per-64',
    description: "for the account's cap each IPv6 /64 is a source of its own: 4 /64s of one home network reach it",
    edits: [{ file: LIMIT_COUNTERS, from: 'export const sourceOf = (address: string) => networkOf(address, 56);', to: 'export const sourceOf = (address: string) => networkOf(address, 64);' }],
    specs: [DEVICES_SPEC],
  },
  {
    name: 'known-login-forgets-others',
    description: "a right password from a known device also takes a share of other clients' failures off the account's count",
    edits: [{ file: PASSWORD_BACKOFF, from: 'const share = known === undefined ? sql`least(${r.hits}, ${free})` : sql`0`;', to: 'const share = sql`least(${r.hits}, ${free})`;' }],
    specs: [DEVICES_SPEC],
  },
  {
    name: 'reset-remembers-no-client',
    description: "a completed reset's device token is not stored: the same addresses lock the owner out again",
    edits: [{ file: 'lib/auth/store/users.ts', from: '      ), ${rememberClient(sql`select id from changed`, client.deviceToken, client.address)}\n', to: '      )\n' }],
    specs: [DEVICES_SPEC],
  },

  // EMAIL_VERIFICATION=required (lib/auth/store/pending-signups.ts, lib/auth/flows/login.ts, registration.ts)
  {
    name: 'older-signup-link-kept',
    description: "a newer sign-up keeps the older one's link: a squatter's link confirms the account",
    edits: [{ file: PENDING, from: 'on conflict (${p.email}) do update set ${p.tokenHash} = excluded.${p.tokenHash},', to: 'on conflict (${p.email}) do update set' }],
    specs: [PENDING_SPEC],
  },
  {
    name: 'resend-hands-out-pending-link',
    description: "resend without a token renews a pending sign-up's link before an unverified account's own: the owner follows a stranger's sign-up",
    edits: [{
      file: 'lib/auth/flows/verification.ts',
      from: "const token = (await issueAccountToken('email_verification', { email, unverifiedOnly: true }))?.token ?? (await renewPendingLink(email));",
      to: "const token = (await renewPendingLink(email)) ?? (await issueAccountToken('email_verification', { email, unverifiedOnly: true }))?.token;",
    }],
    specs: [PENDING_SPEC],
  },
  {
    name: 'login-ignores-pending-signup',
    description: 'a pending sign-up\'s password answers 401 at a taken email and 403 at a new one: sign-up + login tell who has an account',
    edits: [{ file: 'lib/auth/flows/login.ts', from: "      if (pending && candidate.pending_hash) throw new AuthFailure('email_not_verified');\n", to: '' }],
    specs: [PENDING_SPEC],
  },
  {
    name: 'verified-account-gets-signup-link',
    description: 'a sign-up of a verified account sends a link (not a notice) to its owner',
    edits: [{ file: PENDING, from: 'case when owner.verified then null else ${hashLinkToken(token)} end', to: '${hashLinkToken(token)}' }, { file: PENDING, from: 'return verifiedAccount ? { verifiedAccount } : { verifiedAccount, token };', to: 'return { verifiedAccount: false, token };' }],
    specs: [PENDING_SPEC],
  },
  {
    name: 'signup-notice-unlimited',
    description: 'the "someone tried to sign up" notice goes out for every sign-up (a mailbox flood)',
    edits: [{ file: 'lib/auth/flows/registration.ts', from: "else if ((await countAccountMail('signup-notice', email)).allowed) sendSignupAttempt(email);", to: 'else sendSignupAttempt(email);' }],
    specs: [PENDING_SPEC],
  },
  {
    name: 'reset-ceiling-for-known-address',
    description: "reset mails to the owner's own address count against the email's ceiling: an attacker can spend it",
    edits: [{ file: LIMIT_MAIL, from: 'and ${knownClients.client} = ${knownAddressClient(address)} and', to: 'and false and' }],
    specs: ['tests/endpoints/forgot/limits.spec.ts'],
  },
  {
    name: 'link-issued-beside-unused-one',
    description: 'a new link is stored beside the unused one (no upsert): parallel requests fail or leave several live links',
    edits: [
      {
        file: 'lib/auth/store/account-tokens.ts',
        from: '    on conflict (${t.userId}, ${t.purpose}) where ${t.usedAt} is null do update set\n      ${t.tokenHash} = excluded.${t.tokenHash}, ${sql.identifier(accountTokens.createdAt.name)} = now(), ${t.expiresAt} = excluded.${t.expiresAt}`;',
        to: '`;',
      },
    ],
    specs: ['tests/endpoints/forgot/forgot.spec.ts'],
  },

  // Bounded state (lib/auth/limits/window.ts)
  {
    name: 'rate-limit-table-unbounded',
    description: 'every new client address gets rows of its own, however full the table (millions of IPv6 /64s)',
    edits: [{ file: LIMIT_WINDOW, from: '    if (key.overflow === key.own) return', to: '    if (key.own.length >= 0) return' }],
    specs: ['tests/across/rate-limit-table.spec.ts'],
  },
  // The refresh cookie (lib/http/refresh-cookie.ts, lib/http/endpoint.ts)
  {
    name: 'cookie-any-origin',
    description: 'the refresh cookie is accepted from any Origin, or none (CSRF)',
    edits: [{ file: COOKIE, from: '  if (!origin || !allowed.includes(origin)) {', to: '  if (allowed.length === 0) {' }],
    specs: [COOKIE_SPEC],
  },
  {
    name: 'cookie-cross-site',
    description: 'Sec-Fetch-Site is ignored: a listed origin of another site may use the cookie',
    edits: [{ file: COOKIE, from: "  if (site !== null && site !== 'same-origin' && site !== 'same-site') {", to: '  if (site === null && site !== null) {' }],
    specs: [COOKIE_SPEC],
  },
  {
    name: 'cookie-login-unchecked',
    description: 'a login asking for the cookie is not held to the allowed origins (login CSRF)',
    edits: [{ file: 'lib/http/endpoint.ts', from: '      if (asksForRefreshCookie(body)) requireCookieOrigin(request);\n', to: '' }],
    specs: [COOKIE_SPEC],
  },
  {
    name: 'cookie-not-httponly',
    description: 'page scripts can read the refresh cookie',
    edits: [{ file: COOKIE, from: 'const ATTRIBUTES = `Path=${REFRESH_COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict`;', to: 'const ATTRIBUTES = `Path=${REFRESH_COOKIE_PATH}; Secure; SameSite=Strict`;' }],
    specs: [COOKIE_SPEC, 'tests/browser/refresh-cookie.spec.ts'],
  },
  {
    name: 'cors-any-origin-with-credentials',
    description: 'CORS grants credentials to any Origin',
    edits: [{ file: 'lib/http/cors.ts', from: "  return origin && allowedOrigins().includes(origin) ? origin : undefined;", to: '  return origin ?? undefined;' }],
    specs: [COOKIE_SPEC],
  },

  // Bodies (lib/http/body.ts, next.config.ts)
  {
    name: 'body-cap-removed',
    description: 'request bodies of any size are read in full',
    edits: [
      { file: 'lib/http/body.ts', from: '  if (declared > MAX_BODY_BYTES) throw tooLarge();\n', to: '' },
      { file: 'lib/http/body.ts', from: '    if (size > MAX_BODY_BYTES) {', to: '    if (size > Infinity) {' },
    ],
    specs: ['tests/across/errors.spec.ts', 'tests/unit/body.spec.ts'],
  },
  {
    name: 'proxy-body-buffer-uncapped',
    description: "Next keeps up to 10 MiB of every upload to a protected path, token or not (proxyClientMaxBodySize removed)",
    edits: [{ file: 'next.config.ts', from: '    proxyClientMaxBodySize: PROXY_BODY_CAP_BYTES,\n', to: '' }],
    specs: ['tests/resilience/body-cap.spec.ts'],
  },

  // Two-factor (lib/auth/crypto/totp.ts, lib/auth/store/two-factor.ts, lib/auth/flows/login.ts)
  {
    name: 'totp-any-code',
    description: 'the code check accepts any 6 digits (a wrong code counts as the current step)',
    edits: [{ file: TOTP, from: 'return delta === null ? undefined : TOTP.counter({ period: PERIOD, timestamp: now }) + delta;', to: 'return TOTP.counter({ period: PERIOD, timestamp: now }) + (delta ?? 0);' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'totp-drift-2-steps',
    description: 'codes up to a minute away from the clock are accepted (drift window 2 steps, not 1)',
    edits: [{ file: TOTP, from: 'const DRIFT_STEPS = 1;', to: 'const DRIFT_STEPS = 2;' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'totp-replay-allowed',
    description: 'the replay guard is gone: a used code works again within its window',
    edits: [{ file: TWO_FACTOR_STORE, from: '\n        and (${users.totpLastStep} is null or ${users.totpLastStep} < ${step})', to: '' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'totp-replay-same-step',
    description: 'the replay guard compares with <=: the step just used is accepted again',
    edits: [{ file: TWO_FACTOR_STORE, from: '${users.totpLastStep} < ${step})', to: '${users.totpLastStep} <= ${step})' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'mfa-tries-unlimited',
    description: 'an mfa_token takes any number of code guesses',
    edits: [{ file: TWO_FACTOR_STORE, from: '\n      and c.${mc.tries} < ${maxTries} and', to: '\n      and' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'mfa-token-reusable',
    description: 'an mfa_token completes any number of logins (neither the try nor the completion checks it was used)',
    edits: [
      { file: TWO_FACTOR_STORE, from: 'c.${mc.tokenHash} = ${sha256(token)} and c.${mc.usedAt} is null and', to: 'c.${mc.tokenHash} = ${sha256(token)} and' },
      { file: TWO_FACTOR_STORE, from: '${mfaChallenges.tokenHash} = ${sha256(token)} and ${mfaChallenges.usedAt} is null and exists', to: '${mfaChallenges.tokenHash} = ${sha256(token)} and exists' },
    ],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'recovery-code-reusable',
    description: 'a used recovery code works again',
    edits: [{ file: TWO_FACTOR_STORE, from: '${recoveryCodes.codeHash} = ${codeHash} and ${recoveryCodes.usedAt} is null', to: '${recoveryCodes.codeHash} = ${codeHash}' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'factor-spent-without-live-challenge',
    description: 'a second step spends its recovery code (or step) even when the challenge was used meanwhile: two racing steps spend two codes',
    edits: [{ file: TWO_FACTOR_STORE, from: 'const live = sql`exists (select from challenge)`;', to: 'const live = sql`true`;' }],
    specs: [TWO_FACTOR_ATTACKS],
  },
  {
    name: 'second-factor-uncounted',
    description: "codes tried at POST /auth/login/2fa do not count toward the account's guessing limits",
    edits: [{ file: 'lib/auth/flows/second-factor.ts', from: '  if (user.tries > 1) await countPasswordAttempt(client.address, user.email, known);\n', to: '' }],
    specs: ['tests/endpoints/two-factor/limits.spec.ts'],
  },
  {
    name: 'second-factor-counts-password-twice',
    description: "the first code try is counted on top of the right password that started it: a client gets fewer than the token's 5 tries",
    edits: [{ file: 'lib/auth/flows/second-factor.ts', from: '  if (user.tries > 1) await', to: '  if (user.tries >= 1) await' }],
    specs: ['tests/endpoints/two-factor/limits.spec.ts'],
  },
  {
    name: 'confirm-uncounted',
    description: 'POST /auth/2fa/totp/confirm tries are not counted: an access token alone can try every code against a pending secret',
    edits: [{ file: 'lib/auth/flows/two-factor.ts', from: '  await countPasswordAttempt(address, user.email);\n  const state = await findTotpState(user.id);\n  if (!state?.pending)', to: '  const state = await findTotpState(user.id);\n  if (!state?.pending)' }],
    specs: ['tests/endpoints/two-factor/limits.spec.ts'],
  },
  {
    name: 'second-factor-forgets-device',
    description: "the second step counts a known device as a stranger: the account-wide cap locks the owner out at POST /auth/login/2fa",
    edits: [{ file: 'lib/auth/flows/second-factor.ts', from: '  if (user.tries > 1) await countPasswordAttempt(client.address, user.email, known);\n', to: '  if (user.tries > 1) await countPasswordAttempt(client.address, user.email);\n' }],
    specs: [DEVICES_SPEC],
  },

  // The edge (lib/http/edge-guard.ts, next.config.ts)
  {
    name: 'edge-guard-off',
    description: "Next.js answers malformed paths, /_next/image, //path and /path/ itself, in text or HTML",
    edits: [{ file: 'instrumentation.ts', from: '  installEdgeGuard();\n', to: '' }],
    specs: ['tests/resilience/barrage.spec.ts'],
  },
  {
    name: 'edge-guard-passes-undecodable-paths',
    description: 'a path that is not valid percent-encoding reaches Next.js (a text/plain 500)',
    edits: [{ file: 'lib/http/edge-guard.ts', from: '    decodeURIComponent(path);\n', to: '' }],
    specs: ['tests/unit/edge-guard.spec.ts'],
    inProcessOnly: true,
  },
  {
    name: 'edge-guard-passes-next-paths',
    description: "/_next/image and Next's other own paths reach Next.js (its image optimiser, HTML 404s)",
    edits: [{ file: 'lib/http/edge-guard.ts', from: "path === '/_next' || path.startsWith('/_next/') || ", to: '' }],
    specs: ['tests/unit/edge-guard.spec.ts'],
    inProcessOnly: true,
  },
  {
    name: 'next-image-optimiser-on',
    description: "Next's image optimiser runs where the edge guard does not (it fetches the API's own routes)",
    edits: [{ file: 'next.config.ts', from: '  images: { unoptimized: true },\n', to: '' }],
    specs: ['tests/unit/edge-guard.spec.ts'],
    inProcessOnly: true,
  },

  // Password writes (lib/auth/store/users.ts)
  {
    name: 'password-write-without-cas',
    description: 'a password change (or set-password) stores its hash although another write landed after its check',
    edits: [{ file: USERS, from: ' and ${users.hashedPassword} = ${expectedHash} returning', to: ' returning' }],
    specs: [PASSWORD_RACES_SPEC],
  },
  {
    name: 'deletion-without-cas',
    description: 'an account deletion goes through although a reset landed after its password check',
    edits: [{ file: USERS, from: 'sql`and ${users.hashedPassword} = ${verifiedHash}`', to: 'sql``' }],
    specs: [PASSWORD_RACES_SPEC],
  },
  {
    name: 'password-write-keeps-reset-links',
    description: 'a reset link sent before a password change still sets a password after it',
    edits: [{ file: USERS, from: "    with voided as (${voidTokensOf(sql`select ${user.id}::uuid`, 'password_reset')})\n    delete from ${rateLimits} where ${loginCountersOf(user.email)}`);\n  await revokeAllSessions", to: "    delete from ${rateLimits} where ${loginCountersOf(user.email)}`);\n  await revokeAllSessions" }],
    specs: [PASSWORD_RACES_SPEC],
  },
  {
    name: 'deactivation-keeps-reset-links',
    description: 'a reset link sent before a deactivation works again after reactivation',
    edits: [{ file: USERS, from: "      await tx.execute(voidTokensOf(sql`select ${user.id}::uuid`, 'password_reset'));\n", to: '' }],
    specs: [PASSWORD_RACES_SPEC],
  },
  {
    name: 'reset-without-user-lock',
    description: "a reset spends its link before it takes the user's row: with a change voiding that link, they deadlock",
    edits: [{ file: USERS, from: '    await tx.execute(sql`select 1 from ${users} where ${users.id} = ${account.userId} for update`);\n', to: '' }],
    specs: [PASSWORD_RACES_SPEC],
  },

  // Refresh-token reuse and password changes (lib/auth/store/sessions.ts, users.ts)
  {
    name: 'old-generation-refused-not-revoked',
    description: 'a token more than one generation old is refused but the session lives on (the thief keeps refreshing)',
    edits: [{ file: SESSIONS, from: '    if (!successor) {\n', to: "    if (token.generation < session.generation - 1) return { ok: false, reason: 'unknown' } as const;\n    if (!successor) {\n" }],
    specs: [REUSE_SPEC],
  },
  {
    name: 'grace-without-time-limit',
    description: 'the token spent before the live one gets the live one back at any time, not only within REFRESH_REUSE_GRACE',
    edits: [{ file: SESSIONS, from: '\n                      and ${sessions.previousSpentAt} > now() - make_interval(secs => ${auth.refreshReuseGrace})', to: '' }],
    specs: [REFRESH_SPEC],
  },
  {
    name: 'password-change-spares-a-session',
    description: 'a password write spares the most recently used session (as "keep this one" did): a thief sharing it stays in',
    edits: [
      {
        file: USERS,
        from: '  await revokeAllSessions(user.id, { db: tx });\n}',
        to: '  await tx.execute(sql`update ${sessions} set revoked_at = now() where ${sessions.userId} = ${user.id} and ${sessions.revokedAt} is null and ${sessions.id} <> (select id from ${sessions} where ${sessions.userId} = ${user.id} and ${sessions.revokedAt} is null order by ${sessions.lastUsedAt} desc limit 1)`);\n}',
      },
    ],
    specs: [REUSE_SPEC, 'tests/endpoints/password/password.spec.ts'],
  },
];
