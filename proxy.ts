import { NextResponse, type NextRequest } from 'next/server';
import { guardOf } from '@/lib/api/guarded-paths';
import { requireToken } from '@/lib/auth/flows/guard';
import { requireDeclaredLength } from '@/lib/http/body';
import { withCors } from '@/lib/http/cors';
import { toErrorResponse } from '@/lib/http/error-response';
import { hasRefreshCookie } from '@/lib/http/refresh-cookie';

/**
 * The guard in front of the endpoints declared with `auth: 'user'` (lib/api/endpoints.ts): a request
 * without a valid access token is answered 401 here, before any route code runs. Which paths those are
 * is decided from the declarations (lib/api/guarded-paths.ts), so a new protected endpoint is guarded
 * without touching this file. (Next.js has begun buffering the body by then; next.config.ts caps how
 * much of it is kept.) Verifying a token needs no database, so this stays fast.
 *
 * It passes no identity on: each protected handler verifies the token again (lib/http/endpoint.ts; a
 * proxy can be misconfigured or bypassed), so there is nothing a header could add. Identity-like
 * headers a client sends are deleted all the same, so that no code downstream can be fooled by one.
 */
export async function proxy(request: NextRequest): Promise<Response> {
  // CORS preflights carry no credentials by design; the route answers them.
  const guard = guardOf(request.nextUrl.pathname);
  if (request.method === 'OPTIONS' || guard === undefined) return NextResponse.next();
  try {
    // Logout may be authenticated by the refresh cookie instead: its handler checks the cookie and
    // the origin (lib/http/refresh-cookie.ts), which needs the database.
    const byCookie = guard === 'user-or-refresh-cookie' && !request.headers.has('authorization') && hasRefreshCookie(request);
    if (!byCookie) await requireToken(request);
    // Next.js cuts this request's body at its cap (next.config.ts) before the route reads it; refuse
    // a body whose cut the route could not see.
    requireDeclaredLength(request);
  } catch (error) {
    return withCors(request, toErrorResponse(error, request));
  }
  const forged = [...request.headers.keys()].filter((name) => IDENTITY_HEADER.test(name));
  if (forged.length === 0) return NextResponse.next();
  const headers = new Headers(request.headers);
  for (const name of forged) headers.delete(name);
  return NextResponse.next({ request: { headers } });
}

const IDENTITY_HEADER = /^x-(user|auth|authenticated|forwarded-user|remote-user)(-|$)/i;

// Every endpoint that needs a user lives under /auth (tests/unit/endpoints.spec.ts holds that); the
// proxy sees all of /auth and lets the public paths through. Next.js reads this statically: a literal.
export const config = {
  matcher: ['/auth/:path*'],
};
