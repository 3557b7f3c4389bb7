/**
 * Which request paths need a signed-in user: those of the endpoints declared with `auth: 'user'`,
 * compiled once from the declarations (lib/api/endpoints.ts), so proxy.ts can never disagree with them.
 * proxy.ts covers all of /auth and asks this for each request: a Set lookup for fixed paths, one
 * regular expression per path with parameters. A path is guarded for every method (the proxy then
 * answers 401 where the route would answer 405): no path is both public and protected.
 */
import { allEndpoints } from './endpoints';

const fixed = new Set<string>();
const patterns: RegExp[] = [];
for (const { path, auth } of allEndpoints) {
  if (auth !== 'user') continue;
  if (!path.includes('{')) {
    fixed.add(path);
    continue;
  }
  // '/auth/sessions/{id}' -> /^\/auth\/sessions\/[^/]+$/ : any one segment where a parameter stands.
  const source = path.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('[^/]+');
  patterns.push(new RegExp(`^${source}$`));
}

/** True when `pathname` (as the proxy sees it) is the path of an endpoint that needs a user. */
export function needsUser(pathname: string): boolean {
  // Next.js routes '/auth/me/' and '/auth/%6De' to /auth/me too: judge them as it routes them.
  if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
  if (pathname.includes('%')) pathname = decodePath(pathname);
  return fixed.has(pathname) || patterns.some((pattern) => pattern.test(pathname));
}

function decodePath(pathname: string): string {
  try {
    return decodeURI(pathname);
  } catch {
    return pathname;
  }
}
