import type { NextRequest } from 'next/server';
import { linkHint } from '@/lib/http/link-hint';
import { notFound } from '@/lib/http/errors';
import { errorResponse, json } from '@/lib/http/respond';

/**
 * Every path no other route claims answers a JSON 404, not Next's HTML page; in development, the pages
 * mail links open answer a hint saying which POST to make with their token (lib/http/link-hint.ts).
 */
const answer = async () => errorResponse(notFound());

async function get(request: NextRequest): Promise<Response> {
  const hint = linkHint(request.nextUrl);
  return hint ? json(hint) : answer();
}

export { get as GET, answer as HEAD, answer as POST, answer as PUT, answer as PATCH, answer as DELETE, answer as OPTIONS };
