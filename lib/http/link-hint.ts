/**
 * In development, the pages that reset-password and verify-email links open (MAIL_RESET_PATH,
 * MAIL_VERIFY_PATH under APP_URL) belong to a front end that `npm run dev` does not have: those GETs
 * answer a JSON hint naming the POST that page would make with the token. A GET never acts on the token.
 * In production these paths are the front end's; the API answers 404 there as anywhere unknown.
 */
import { config } from '../config';

export type LinkHint = { message: string; method: 'POST'; path: string; body: Record<string, string> };

export function linkHint(url: URL): LinkHint | undefined {
  if (process.env.NODE_ENV === 'production') return undefined;
  const { paths } = config().mail;
  const token = url.searchParams.get('token') ?? '<the token from the link>';
  if (url.pathname === paths.resetPassword) {
    return {
      message: 'This is the password-reset link. Your front end shows a form here and POSTs the token with the new password:',
      method: 'POST',
      path: '/auth/password/reset',
      body: { token, new_password: '<the new password>' },
    };
  }
  if (url.pathname === paths.verifyEmail) {
    return {
      message: 'This is the email-verification link. Your front end POSTs its token here:',
      method: 'POST',
      path: '/auth/email/verify',
      body: { token },
    };
  }
  return undefined;
}
