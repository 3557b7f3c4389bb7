import http from 'node:http';

/**
 * The address a request came from, for per-client rate limits.
 *
 * Next.js does not give route handlers the connection's peer address; it only copies it into
 * X-Forwarded-For when the request has none, so a client can put any address there. Hence:
 * - TRUST_PROXY=<n> (or "true" = 1): n proxies you run in front (a load balancer, Vercel, nginx)
 *   append the address they saw to X-Forwarded-For; the client is the n-th entry from the right.
 * - TRUST_PROXY unset: the peer address of the TCP connection, stamped on each request by
 *   installPeerAddressStamp() (instrumentation.ts) in a header no client can set.
 */
export const PEER_HEADER = 'x-neon-next-auth-peer';

type PatchedServer = { __peerStamp?: boolean; emit: (event: string, ...args: unknown[]) => boolean };

export function installPeerAddressStamp(): void {
  const proto = http.Server.prototype as unknown as PatchedServer;
  if (proto.__peerStamp) return;
  const emit = proto.emit;
  proto.emit = function (this: unknown, event: string, ...args: unknown[]) {
    if (event === 'request') {
      const request = args[0] as http.IncomingMessage;
      // Overwrites whatever a client sent under this name.
      request.headers[PEER_HEADER] = request.socket?.remoteAddress ?? '';
    }
    return emit.call(this, event, ...args);
  };
  proto.__peerStamp = true;
}

export function trustedProxyHops(env: Record<string, string | undefined> = process.env): number {
  const value = env.TRUST_PROXY?.trim().toLowerCase();
  if (!value || value === 'false' || value === '0') return 0;
  if (value === 'true') return 1;
  const hops = Number(value);
  return Number.isInteger(hops) && hops > 0 ? hops : 0;
}

export function clientAddress(request: Request): string {
  const hops = trustedProxyHops();
  if (hops > 0) {
    const chain = (request.headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (chain.length > 0) return chain[Math.max(0, chain.length - hops)]!;
  }
  return request.headers.get(PEER_HEADER) || 'unknown';
}
