import { notFound } from '@/lib/http/errors';
import { errorResponse } from '@/lib/http/respond';

/** Every path no other route claims answers a JSON 404, not Next's HTML page. */
const answer = async () => errorResponse(notFound());

export { answer as GET, answer as HEAD, answer as POST, answer as PUT, answer as PATCH, answer as DELETE, answer as OPTIONS };
