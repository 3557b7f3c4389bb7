import { endpoints } from '@/lib/api/endpoints';
import { beginTotpSetup } from '@/lib/auth/flows/two-factor';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/** POST /auth/2fa/totp/setup (bearer) {password, code?} -> 200 {secret, otpauth_uri, qr_svg}, pending until confirmed. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.totpSetup, async ({ body, user, request }) => beginTotpSetup(user, body.password, body.code, clientAddress(request))),
);
