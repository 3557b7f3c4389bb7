/**
 * Which request paths need a signed-in user: those of the endpoints declared with `auth` (`'user'`, or
 * `'user-or-refresh-cookie'`, where the proxy lets a request with the refresh cookie and no
 * Authorization header through to the handler, which checks the cookie),
 * compiled once from the declarations (lib/api/endpoints.ts), so proxy.ts can never disagree with them.
 * proxy.ts covers all of /auth and asks this for each request: a Set lookup for fixed paths, one
 * regular expression per path with parameters. A path is guarded for every method (the proxy then
 * answers 401 where the route would answer 405): no path is both public and protected.
 */
import { allEndpoints, type Endpoint } from './endpoints';

export type Guard = NonNullable<Endpoint['auth']>;

const fixed = new Map<string, Guard>();
const patterns: { pattern: RegExp; guard: Guard }[] = [];
for (const { path, auth } of allEndpoints) {
  if (auth === undefined) continue;
  if (!path.includes('{')) {
    fixed.set(path, auth);
    continue;
  }
  // '/auth/sessions/{id}' -> /^\/auth\/sessions\/[^/]+$/ : any one segment where a parameter stands.
  const source = path.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('[^/]+');
  patterns.push({ pattern: new RegExp(`^${source}$`), guard: auth });
}

/** How `pathname` (as the proxy sees it) is guarded: its endpoint's `auth`, or undefined when public. */
export function guardOf(pathname: string): Guard | undefined {
  // Next.js routes '/auth/me/' and '/auth/%6De' to /auth/me too: judge them as it routes them.
  if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
  if (pathname.includes('%')) pathname = decodePath(pathname);
  return fixed.get(pathname) ?? patterns.find(({ pattern }) => pattern.test(pathname))?.guard;
}

/** True when `pathname` is the path of an endpoint that needs a user (by a token, or the refresh cookie). */
export function needsUser(pathname: string): boolean {
  return guardOf(pathname) !== undefined;
}

function decodePath(pathname: string): string {
  try {
    return decodeURI(pathname);
  } catch {
    return pathname;
  }
}
