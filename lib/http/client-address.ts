import http from 'node:http';
import { config } from '../config';

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

/**
 * The bucket an address counts in: IPv4 as it is (also when written IPv4-mapped, ::ffff:a.b.c.d);
 * IPv6 by its /64, since one subscriber is routinely given a whole /64 and could otherwise rotate
 * through 2^64 addresses, one bucket each.
 */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function clientAddress(request: Request): string {
  const hops = config().http.trustProxyHops;
  if (hops > 0) {
    const chain = (request.headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (chain.length > 0) return addressBucket(chain[Math.max(0, chain.length - hops)]!);
  }
  return addressBucket(request.headers.get(PEER_HEADER) || 'unknown');
}
