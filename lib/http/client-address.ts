import { isIP } from 'node:net';
import { config, type ClientAddressConfig } from '../config';
import { peerStampHeader } from './peer-address-stamp';

/**
 * The address a request came from, for per-client rate limits. Next.js gives route handlers no
 * socket, and copies the peer address into X-Forwarded-For only when a request has none, so a client
 * can put any address there. Where the address comes from:
 * - TRUST_PROXY=<n> (or true = 1): n proxies you run in front append the address they saw to
 *   X-Forwarded-For; the client is the n-th entry from the right (entries further left are forgeable).
 * - else, on Vercel (VERCEL set): the header the platform sets (VERCEL_CLIENT_IP_HEADER).
 * - else: the TCP peer, stamped on each request under a secret header name (peer-address-stamp.ts,
 *   installed by instrumentation.ts).
 */
/**
 * Vercel's edge overwrites X-Forwarded-For "to prevent IP spoofing" and sends x-real-ip, "identical to
 * the x-forwarded-for header" (https://vercel.com/docs/headers/request-headers); x-real-ip is what
 * Vercel's own helper reads ("Client IP as calculated by Vercel Proxy", ipAddress() in @vercel/functions,
 * packages/functions/src/headers.ts of github.com/vercel/vercel). A single address, no chain to parse.
 */
export const VERCEL_CLIENT_IP_HEADER = 'x-real-ip';

/**
 * The bucket of every request whose address cannot be known: a request with no stamp (one Next.js
 * accepted before instrumentation.ts had installed it, or a server without instrumentation), or a
 * header holding no IP address. One shared bucket, so that no request can earn a fresh one by what it
 * sends; the cost is that the few requests of a server's first moments share one limit.
 */
export const UNKNOWN_ADDRESS = 'unknown';

const clientAddressConfig = () => config().http.clientAddress;

/** "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" and "[::1]" -> "::1": a port would make a bucket per connection. */
export function stripPort(value: string): string {
  const trimmed = value.trim();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(trimmed);
  if (bracketed) return bracketed[1]!;
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d*$/.exec(trimmed);
  return ipv4WithPort ? ipv4WithPort[1]! : trimmed;
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

/** A header's address as a bucket; anything that is not an IP address counts as unknown. */
export function bucketOf(value: string | null | undefined): string {
  const address = stripPort(value ?? '');
  return isIP(address) ? addressBucket(address) : UNKNOWN_ADDRESS;
}

/**
 * The rule, without process state: `stampHeader` is the secret name when the stamp is installed,
 * undefined before; the peer header is trusted only under that name.
 */
export function clientAddressFrom(headers: Headers, config: ClientAddressConfig, stampHeader: string | undefined): string {
  if (config.source === 'platform') return bucketOf(headers.get(VERCEL_CLIENT_IP_HEADER));
  if (config.source === 'x-forwarded-for') {
    const chain = (headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    // No header at all: a request that did not come through the proxy; its peer is all we know.
    if (chain.length > 0) return bucketOf(chain[Math.max(0, chain.length - config.proxies)]);
  }
  return stampHeader ? bucketOf(headers.get(stampHeader)) : UNKNOWN_ADDRESS;
}

const WARNED = Symbol.for('neon-next-auth.client-address.warned');

/** One line, once per process (on globalThis: each Next.js bundle has its own module state). */
function warnOnce(key: string, message: string): void {
  const warned = ((globalThis as { [WARNED]?: Set<string> })[WARNED] ??= new Set());
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/** For the stamp: a request arrived with its own X-Forwarded-For. Warns once if TRUST_PROXY is unset. */
export function noticeForwardedFor(): void {
  let config: ClientAddressConfig;
  try {
    config = clientAddressConfig();
  } catch {
    return; // a bad TRUST_PROXY is reported at start, or by the first route that reads it
  }
  if (config.source !== 'peer' || !config.warnOnForwardedFor) return;
  warnOnce(
    'forwarded-for',
    'client address: X-Forwarded-For arrived but TRUST_PROXY is unset, so rate limits count the connection\'s peer and every client behind that proxy shares one bucket. ' +
      'Set TRUST_PROXY to the number of proxies you run in front (1 for one), or TRUST_PROXY=false if there are none.',
  );
}

export function clientAddress(request: Request): string {
  const config = clientAddressConfig();
  const stampHeader = peerStampHeader();
  if (!stampHeader && config.source === 'peer') {
    warnOnce('no-stamp', `client address: the peer-address stamp is not installed (instrumentation.ts did not run): every client counts as "${UNKNOWN_ADDRESS}".`);
  }
  return clientAddressFrom(request.headers, config, stampHeader);
}
