import { endpoints } from '@/lib/api/endpoints';
import { on, route } from '@/lib/http/endpoint';

/** GET /auth/me (bearer) -> the current user, read from the database. */
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = route(
  on(endpoints.me, async ({ user }) => user),
);
