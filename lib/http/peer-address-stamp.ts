import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/**
 * Stamps each request with its connection's peer address, in a header whose name is random per
 * process, so that no client can send it: Next.js gives route handlers no socket, only headers.
 *
 * The name lives on globalThis (under a registered symbol) because Next.js bundles instrumentation.ts
 * and each route separately: module-level state is not shared between them, the global object is.
 * Until installPeerAddressStamp() has run there is no name, and no header is trusted.
 */

type StampState = { header: string };
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
type ServerPrototype = { emit: Emit; [STAMPED]?: true };

const STATE = Symbol.for('neon-next-auth.peer-address-stamp');
const STAMPED = Symbol.for('neon-next-auth.peer-address-stamp.installed');

function state(): StampState | undefined {
  return (globalThis as { [STATE]?: StampState })[STATE];
}

/** The secret header name, once the stamp is installed in this process; undefined before. */
export function peerStampHeader(): string | undefined {
  return state()?.header;
}

export type StampOptions = {
  /** Called with each request that arrived carrying its own X-Forwarded-For (before Next.js adds one). */
  onForwardedFor?: () => void;
};

/**
 * Patches http and https servers (https.Server does not inherit a patch made to http.Server's
 * prototype). Idempotent: a second call keeps the first name and patches nothing twice.
 */
export function installPeerAddressStamp({ onForwardedFor }: StampOptions = {}): void {
  const header = (state() ?? { header: `x-peer-${randomBytes(16).toString('hex')}` }).header;
  for (const prototype of [http.Server.prototype, https.Server.prototype] as unknown as ServerPrototype[]) {
    if (Object.hasOwn(prototype, STAMPED)) continue;
    const emit = prototype.emit;
    prototype.emit = function (event, ...args) {
      if (event === 'request') {
        const request = args[0] as http.IncomingMessage;
        if (onForwardedFor && request.headers['x-forwarded-for'] !== undefined) onForwardedFor();
        // Overwrites a value sent under this name, should anyone learn it.
        request.headers[header] = request.socket?.remoteAddress ?? '';
      }
      return emit.call(this, event, ...args);
    };
    prototype[STAMPED] = true;
  }
  // Published last: a reader that sees the name can rely on every later request being stamped.
  (globalThis as { [STATE]?: StampState })[STATE] = { header };
}
