import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js" banner on responses.
  poweredByHeader: false,
  // Loaded by Node at run time instead of bundled: `ws` has optional native add-ons that bundlers
  // break, and the Neon driver and bcryptjs gain nothing from bundling.
  serverExternalPackages: ['ws', '@neondatabase/serverless', 'bcryptjs'],
};

export default nextConfig;
