import { neonConfig } from '@neondatabase/serverless';
import ws from 'ws';
import { isLocalHost } from '../config/database-url';

/**
 * Points the Neon serverless driver at the right place for this URL. Neon hosts keep the driver's
 * defaults (secure WebSocket to the host's /v2 endpoint). A local PostgreSQL speaks plain TCP, so the
 * driver goes through the WebSocket-to-TCP relay that `npm run db:local` (scripts/local/relay.ts) runs next to
 * it: by default on the database's port + 1, or where NEON_WS_PROXY says (host:port/path).
 */
export function configureNeonDriver(url: URL, wsProxy?: string): void {
  // Node 20 has no global WebSocket.
  neonConfig.webSocketConstructor = ws;
  if (!isLocalHost(url.hostname)) return;

  const relay = wsProxy || `${url.hostname}:${Number(url.port || 5432) + 1}/v2`;
  neonConfig.wsProxy = () => relay;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  // The local cluster uses cleartext `password` auth over loopback, like Neon's proxy does over TLS,
  // so the driver can pipeline start-up and auth ('password', the default) and skip a round trip.
  neonConfig.pipelineConnect = 'password';
  // Write coalescing saves packets on a real network but costs ~1 ms a query through a local relay.
  neonConfig.coalesceWrites = false;
}
