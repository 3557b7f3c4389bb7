import { endpoints } from '@/lib/api/endpoints';
import { deleteOwnAccount } from '@/lib/auth/flows/account';
import { clientAddress } from '@/lib/http/client-address';
import { on, route } from '@/lib/http/endpoint';

/**
 * GET /auth/me (bearer) -> the current user, read from the database.
 * DELETE /auth/me (bearer) {password} -> 204; the account and everything of it are deleted.
 */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.me, async ({ user }) => user),
  on(endpoints.deleteAccount, async ({ body, user, request }) => {
    await deleteOwnAccount(user, body.password, clientAddress(request));
  }),
);
