import type { NextConfig } from 'next';

// Self-contained on purpose: `next start <dir>` from another folder cannot load this file's imports of
// the app's own TypeScript. tests/unit/body.spec.ts holds this to twice lib/http/body.ts's MAX_BODY_BYTES.
const PROXY_BODY_CAP_BYTES = 32 * 1024;

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js" banner on responses.
  poweredByHeader: false,
  // An API: no image optimiser at /_next/image fetching the API's own routes, and no text 308 from
  // /path/ to /path. lib/http/edge-guard.ts answers both in JSON under `next start`; these hold on
  // hosts where it does not run.
  images: { unoptimized: true },
  skipTrailingSlashRedirect: true,
  experimental: {
    // Before proxy.ts runs, Next buffers the body of every request it covers (for the proxy and for
    // the route), 10 MiB by default, and keeps it until the upload ends, even when the proxy answers
    // 401: any client without a token could make the server hold 10 MiB a request. Past this size Next
    // keeps nothing more (it still reads and drops the rest, and logs "Request body exceeded ...") and
    // hands the route the body cut short: it does not refuse it. lib/http/body.ts and proxy.ts make
    // sure a cut body is never taken for a whole one. At least MAX_BODY_BYTES, so that no body a route
    // accepts is ever cut.
    proxyClientMaxBodySize: PROXY_BODY_CAP_BYTES,
  },
  // Loaded by Node at run time instead of bundled: `ws` has optional native add-ons that bundlers
  // break, and the Neon driver and bcryptjs gain nothing from bundling. Standalone output traces them
  // into .next/standalone/node_modules all the same.
  serverExternalPackages: ['ws', '@neondatabase/serverless', 'bcryptjs'],
  // For self-hosting (a container, a VM): `NEXT_OUTPUT=standalone next build` (npm run build:standalone)
  // also writes .next/standalone, a server.js with only the node_modules it needs, run with
  // `node .next/standalone/server.js`. Opt-in, because `next start` on a standalone build prints
  // '"next start" does not work with "output: standalone"', and `npm run build && npm start` is the
  // default way to run this app.
  output: process.env.NEXT_OUTPUT === 'standalone' ? 'standalone' : undefined,
};

export default nextConfig;
