/**
 * Where the client address for rate limits comes from (lib/http/client-address.ts reads it):
 * `warnOnForwardedFor`: TRUST_PROXY was left unset, so an X-Forwarded-For suggests a forgotten proxy.
 */
export type ClientAddressConfig =
  | { source: 'peer'; warnOnForwardedFor: boolean }
  | { source: 'x-forwarded-for'; proxies: number }
  | { source: 'platform' };

/** TRUST_PROXY, when set (even to false), decides; VERCEL only changes the default. */
export function clientAddressSource(trustProxy: number | undefined, onVercel: boolean): ClientAddressConfig {
  if (trustProxy !== undefined) {
    return trustProxy > 0 ? { source: 'x-forwarded-for', proxies: trustProxy } : { source: 'peer', warnOnForwardedFor: false };
  }
  if (onVercel) return { source: 'platform' };
  return { source: 'peer', warnOnForwardedFor: true };
}

