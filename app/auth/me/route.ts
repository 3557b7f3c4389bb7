import { requireUser } from '@/lib/auth/guard';
import { json } from '@/lib/http/respond';
import { handle, otherMethods } from '@/lib/http/route';

/** GET /auth/me (bearer) -> the current user, read from the database. */
export const GET = handle(async (request) => json((await requireUser(request)).user));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods('GET');
