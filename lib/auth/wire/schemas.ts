/**
 * Request and response shapes, in zod: the handlers validate with these, and the API's documentation
 * is generated from the same schemas.
 */
import { z } from 'zod';
import { MAX_PASSWORD_BYTES, normalizePassword, passwordBytes } from '../crypto/password';

const MIN_PASSWORD_LENGTH = 8;

const email = z
  .string({ error: (issue) => (issue.input === undefined ? 'Enter an email address.' : 'The email must be a string, like "name@example.com".') })
  .trim()
  .toLowerCase()
  .max(254, 'An email address has at most 254 characters.')
  .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' }))
  // The request side of a pipe documents only its input (a string); say what it must be.
  .meta({ format: 'email', description: 'Trimmed and lowercased before use.', examples: ['ann@example.com'] });

/** A password being set: NFKC-normalised, then 8+ characters and at most 72 bytes (bcrypt's limit). */
export const newPassword = z
  .string({ error: 'Enter a password.' })
  .transform(normalizePassword)
  .refine((p) => [...p].length >= MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .refine(
    (p) => passwordBytes(p) <= MAX_PASSWORD_BYTES,
    `Use at most ${MAX_PASSWORD_BYTES} bytes of UTF-8 (bcrypt ignores the rest; accented letters take 2 bytes, emoji 4).`,
  )
  .refine((p) => !p.includes('\0'), 'A password cannot contain a null character.')
  // Refinements do not appear in JSON Schema: state them for the documentation.
  .meta({
    minLength: MIN_PASSWORD_LENGTH,
    description: `At least ${MIN_PASSWORD_LENGTH} characters and at most ${MAX_PASSWORD_BYTES} bytes of UTF-8, after NFKC normalisation; no null character.`,
  });

/** A password being checked: any string; too long simply does not match. */
const givenPassword = z
  .string({ error: 'Enter your password.' })
  .min(1, 'Enter your password.')
  .max(1024, 'Passwords are at most 1024 characters.')
  .transform(normalizePassword)
  .meta({ description: 'Compared after NFKC normalisation.' });

export const registerRequest = z.strictObject({ email, password: newPassword });

/**
 * A browser front end's opt-in: the refresh token comes back as an httpOnly cookie instead of in the
 * body (lib/http/refresh-cookie.ts). Only from an origin in CORS_ORIGINS.
 */
export const refreshCookieOptIn = z
  .boolean({ error: 'refresh_cookie must be true or false.' })
  .optional()
  .meta({ description: 'true: set the refresh token as an httpOnly cookie (Path=/auth) instead of answering it in the body. For browser front ends on an origin in CORS_ORIGINS; 403 from any other.' });

/** The same opt-in in a form: "true" or "false". */
export const refreshCookieFormOptIn = z
  .enum(['true', 'false'], { error: 'refresh_cookie must be "true" or "false".' })
  .optional()
  .transform((value) => value === 'true')
  .meta({ description: 'As `refresh_cookie` in the JSON body.' });

/** The device token a login (or reset) answered (lib/auth/store/known-clients.ts); an unknown or malformed one counts as none. */
const deviceToken = z
  .string({ error: 'device_token must be the string a login answered.' })
  .max(256, 'device_token must be the string a login answered.')
  .optional()
  .meta({ description: 'The `device_token` of an earlier login or reset on this device: its failed logins are then counted apart, never held back by guesses from elsewhere.' });

export const loginRequest = z.strictObject({ email, password: givenPassword, device_token: deviceToken, refresh_cookie: refreshCookieOptIn });

/** The OAuth2 password grant as a form (RFC 6749 section 4.3), as FastAPI's OAuth2PasswordRequestForm. */
/**
 * An OAuth2 grant_type (RFC 6749): a value this endpoint does not take is 400 unsupported_grant_type
 * (section 5.2), not a 422: lib/http/validate.ts answers the issue's `status` and `code`.
 */
const grantType = (expected: string) =>
  z
    .string({ error: `grant_type must be "${expected}".` })
    .refine((value) => value === expected, {
      error: `This endpoint takes grant_type=${expected} only.`,
      params: { status: 400, code: 'unsupported_grant_type' },
    })
    .meta({ enum: [expected] });

export const loginForm = z
  .object({
    grant_type: grantType('password').optional(),
    username: email,
    password: givenPassword,
    scope: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    device_token: deviceToken,
    refresh_cookie: refreshCookieFormOptIn,
  })
  .transform(({ username, password, device_token, refresh_cookie }) => ({ email: username, password, device_token, refresh_cookie }));

/** Left out, the refresh cookie is used (a browser that logged in with `refresh_cookie`). */
const refreshToken = z
  .string({ error: 'Send the refresh token from login.' })
  .min(1, 'Send the refresh token from login.')
  .max(512)
  .optional()
  .meta({ description: 'The refresh token from login. Leave it out to use the refresh cookie (a browser that logged in with `refresh_cookie`).' });

/** POST /auth/refresh as JSON: grant_type is optional here. */
export const refreshRequest = z.strictObject({
  refresh_token: refreshToken,
  grant_type: grantType('refresh_token').optional(),
});

/** POST /auth/refresh as the OAuth2 form (RFC 6749 section 6): grant_type is required. */
export const refreshForm = z.object({
  grant_type: grantType('refresh_token'),
  refresh_token: refreshToken,
  scope: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});

export const logoutRequest = z.strictObject({
  scope: z.enum(['current', 'all'], { error: 'scope must be "current" or "all".' }).default('current'),
});

export const passwordChangeRequest = z.strictObject({
  current_password: givenPassword,
  new_password: newPassword,
});

/** The token of a link sent by email. Any string is accepted here: a malformed one is an invalid link (400), like an unknown one. */
const linkToken = z
  .string({ error: 'Send the token from the link (its token query parameter).' })
  .meta({ description: 'The `token` query parameter of the link in the message.', examples: ['mJ2vQm3y8b0H1Xc4kq9ZrT5uWl7sN6eA0dF2gP8hK3o'] });

/** POST /auth/password/forgot */
export const forgotPasswordRequest = z.strictObject({ email });

/** POST /auth/email/resend without a token: the email of the sign-up (with a token: no body, or `{}`). */
export const resendVerificationRequest = z.strictObject({ email: email.optional() });

/** POST /auth/password/reset */
export const passwordResetRequest = z.strictObject({ token: linkToken, new_password: newPassword });

/** POST /auth/email/verify */
export const emailVerificationRequest = z.strictObject({ token: linkToken });

/** DELETE /auth/me */
export const accountDeletionRequest = z.strictObject({ password: givenPassword });

/** A TOTP code as an authenticator app shows it: 6 digits (spaces allowed, as apps group them). */
const totpCode = z
  .string({ error: 'Enter the 6-digit code from your authenticator app.' })
  .transform((code) => code.replace(/\s/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.'))
  .meta({ description: '6 digits from the authenticator app (spaces are ignored).', examples: ['123456'] });

/** A recovery code as shown once: xxxxx-xxxxx (case, spaces and dashes are ignored). */
const recoveryCode = z
  .string({ error: 'Enter one of your recovery codes.' })
  .min(1, 'Enter one of your recovery codes.')
  .max(64, 'A recovery code has 10 letters and digits (xxxxx-xxxxx).')
  .meta({ description: 'One of the recovery codes shown when 2FA was turned on; each works once.', examples: ['k7m2p-x9qrt'] });

/** Exactly one of `code` and `recovery_code` (named in the 422 when neither or both are sent). */
const oneSecondFactor = <T extends { code?: string; recovery_code?: string }>(body: T, context: z.RefinementCtx) => {
  if ((body.code === undefined) === (body.recovery_code === undefined)) {
    context.addIssue({ code: 'custom', path: ['code'], message: 'Send either code (from your authenticator app) or recovery_code, not both.' });
  }
};

/** POST /auth/2fa/totp/setup: the password; and, when 2FA is on already, a code of the current authenticator. */
export const totpSetupRequest = z.strictObject({
  password: givenPassword,
  code: totpCode.optional().describe('Required when two-factor is on already: a code of the current authenticator.'),
});

/** POST /auth/2fa/totp/confirm */
export const totpConfirmRequest = z.strictObject({ code: totpCode });

/** POST /auth/2fa/recovery-codes */
export const recoveryCodesRequest = z.strictObject({ password: givenPassword });

/** DELETE /auth/2fa/totp: the password and a code, or a recovery code. */
export const totpDisableRequest = z
  .strictObject({ password: givenPassword, code: totpCode.optional(), recovery_code: recoveryCode.optional() })
  .superRefine(oneSecondFactor);

/** POST /auth/login/2fa: the mfa_token of the 403 and a code, or a recovery code. */
export const loginSecondFactorRequest = z
  .strictObject({
    mfa_token: z.string({ error: 'Send the mfa_token from the login answer.' }).min(1, 'Send the mfa_token from the login answer.').max(512),
    code: totpCode.optional(),
    recovery_code: recoveryCode.optional(),
    device_token: deviceToken,
    refresh_cookie: refreshCookieOptIn,
  })
  .superRefine(oneSecondFactor);

export const totpSetupResponse = z.object({
  secret: z.string().describe('The shared secret, base32 (RFC 4648), for apps that take it typed in.'),
  otpauth_uri: z.string().describe('otpauth://totp/ URI (issuer, label the email, SHA1, 6 digits, 30 s): what the QR code holds.'),
  qr_svg: z.string().describe('The otpauth URI as a QR code, an SVG document.'),
});

export const recoveryCodesResponse = z.object({
  recovery_codes: z.array(z.string()).length(10).describe('Ten single-use codes, shown only this once: store them offline. Earlier ones stop working.'),
});

/** POST /auth/login, right password, account with 2FA: the second step's token. */
export const mfaRequiredResponse = z.object({
  error: z.literal('mfa_required'),
  message: z.string(),
  mfa_token: z.string().describe('POST it to /auth/login/2fa with a code within 5 minutes; it works once, for at most 5 tries.'),
});

export const userResponse = z.object({
  id: z.uuid(),
  email: z.email(),
  is_active: z.boolean(),
  email_verified: z.boolean().describe('Whether the owner opened a verification link (or a password-reset link) sent to this email.'),
  two_factor_enabled: z.boolean().describe('Whether logging in needs a code from an authenticator app (or a recovery code) after the password.'),
  created_at: z.iso.datetime({ offset: true }),
});

/** DELETE /auth/sessions/{id}: the path parameter. */
export const sessionId = z.uuid({ error: 'Must be a session id (a UUID, as GET /auth/sessions lists them).' }).describe('A session id from GET /auth/sessions.');

/** One entry of GET /auth/sessions. */
export const sessionResponse = z.object({
  id: z.uuid().describe("The session's id: the `sid` claim of its access tokens."),
  created_at: z.iso.datetime({ offset: true }).describe('When the login happened.'),
  last_used_at: z.iso.datetime({ offset: true }).describe('The last login or refresh in this session.'),
  expires_at: z.iso.datetime({ offset: true }).describe('When it ends unless refreshed (never past SESSION_MAX_AGE from its login).'),
  current: z.boolean().describe('True for the session of the access token sent.'),
  user_agent: z.string().max(200).nullable().describe('The User-Agent of the login, cut to 200 characters.'),
  ip: z.string().nullable().describe('The client address of the login, as the server saw it (the one its rate limits count).'),
});

export const sessionListResponse = z.array(sessionResponse).describe('Live sessions, newest first.');

/** An accepted request whose outcome arrives by email. */
export const messageResponse = z.object({
  message: z.string().describe('What happens next, for a person.'),
});

export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().describe('Seconds until the access token expires.'),
  refresh_token: z.string().optional().describe('Single use: POST it to /auth/refresh for a new pair. Absent when it was set as the refresh cookie instead.'),
  refresh_expires_in: z.number().int().describe('Seconds until the refresh token expires if unused.'),
});

const deviceTokenAnswer = z
  .string()
  .describe('Keep it on this device and send it with later logins (`device_token`): its failed logins are then counted apart, and guesses from elsewhere never hold it back. Valid 60 days after its last login.');

/** POST /auth/login: the token response and the device token. */
export const loginResponse = tokenResponse.extend({ device_token: deviceTokenAnswer });

/** POST /auth/password/reset: the new password is set; a device token for the next login. */
export const passwordResetResponse = z.object({ device_token: deviceTokenAnswer });

export const errorResponse = z.object({
  error: z.string().describe('A stable, machine-readable code.'),
  message: z.string().describe('What went wrong and what to do, for a person.'),
  fields: z.record(z.string(), z.string()).optional().describe('On 422: one message per invalid field.'),
});

/** One public key of the JWK Set at /.well-known/jwks.json (RFC 7517). */
const publicJwk = z.object({
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['Ed25519', 'P-256']),
  x: z.string(),
  y: z.string().optional().describe('P-256 keys only.'),
  kid: z.string().describe('RFC 7638 thumbprint unless the key was configured with its own kid.'),
  alg: z.enum(['EdDSA', 'ES256']),
  use: z.literal('sig'),
});

export const jwksResponse = z.object({
  keys: z.array(publicJwk).describe('Empty when tokens are signed with HS256 (a shared secret is never published).'),
});
