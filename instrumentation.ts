/**
 * Runs once when the server starts (Node.js runtime only).
 * - Stamps each request with its connection's peer address under a secret header name
 *   (lib/http/peer-address-stamp.ts, read by lib/http/client-address.ts).
 * - Answers in JSON what Next.js would answer itself in text or HTML (lib/http/edge-guard.ts).
 * - In production, a server with a missing or weak JWT_SECRET, or no usable DATABASE_URL, stops here
 *   with a message saying what to set, instead of failing on the first request. `next build` does
 *   not run this, so building needs no secrets.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  // First, so that as few requests as possible arrive unstamped (those count as "unknown").
  const [{ installPeerAddressStamp }, { noticeForwardedFor }, { installEdgeGuard }] = await Promise.all([
    import('./lib/http/peer-address-stamp'),
    import('./lib/http/client-address'),
    import('./lib/http/edge-guard'),
  ]);
  installPeerAddressStamp({ onForwardedFor: noticeForwardedFor });
  installEdgeGuard();
  if (process.env.NODE_ENV === 'production') {
    const { checkConfigOrExit } = await import('./lib/startup');
    checkConfigOrExit();
  }
}
