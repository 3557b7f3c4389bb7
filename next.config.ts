import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js" banner on responses.
  poweredByHeader: false,
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
