/**
 * Request and response shapes, in zod: the handlers validate with these, and the API's documentation
 * is generated from the same schemas.
 */
import { z } from 'zod';
import { MAX_PASSWORD_BYTES, normalizePassword, passwordBytes } from '../crypto/password';

export const MIN_PASSWORD_LENGTH = 8;

const email = z
  .string({ error: 'Enter an email address.' })
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
export const loginForm = z
  .object({
    grant_type: z.literal('password', { error: 'grant_type must be "password".' }).optional(),
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
  grant_type: z.literal('refresh_token', { error: 'grant_type must be "refresh_token".' }).optional(),
});

/** POST /auth/refresh as the OAuth2 form (RFC 6749 section 6): grant_type is required. */
export const refreshForm = z.object({
  grant_type: z.literal('refresh_token', { error: 'grant_type must be "refresh_token".' }),
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

export const userResponse = z.object({
  id: z.uuid(),
  email: z.email(),
  is_active: z.boolean(),
  email_verified: z.boolean().describe('Whether the owner opened a verification link (or a password-reset link) sent to this email.'),
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
