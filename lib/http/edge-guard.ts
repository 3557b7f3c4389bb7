import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { HttpError, notFound } from './errors';
import { SECURITY_HEADERS } from './respond';

/**
 * What Next.js answers by itself, before any route or proxy.ts runs, is text or HTML: a path that is
 * not valid percent-encoding (a text/plain 500), `/_next/image` (the image optimiser, fetching this
 * API's own routes), `/_next/...` misses (an HTML 404), a 308 text redirect from `//path` and from
 * `/path/`, and a bodyless 400 for methods no route can export. So does Node's HTTP parser for a
 * request it cannot read. This guard answers those requests first, in the API's JSON error shape with
 * the security headers. It patches the server like lib/http/peer-address-stamp.ts (so it covers
 * `next start` and the standalone server); next.config.ts turns the image optimiser and the
 * trailing-slash redirect off for hosts where it does not run.
 */

/** The methods a route can export (lib/http/endpoint.ts answers a JSON 405 for the ones it does not use). */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The error this request gets at the edge, or undefined to let Next.js route it. */
export function edgeRefusal(method: string | undefined, url: string | undefined): HttpError | undefined {
  if (!method || !ROUTE_METHODS.includes(method)) {
    return new HttpError(405, 'method_not_allowed', `This API has no ${method ?? 'such'} method; see /openapi.json.`, { Allow: ROUTE_METHODS.join(', ') });
  }
  const path = (url ?? '/').split('?', 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return new HttpError(400, 'bad_request', 'The path is not valid percent-encoding (RFC 3986 section 2.1).');
  }
  // Next.js's own paths (no page or asset of this API lives there), and spellings it would redirect.
  if (path === '/_next' || path.startsWith('/_next/') || path.includes('//') || (path.length > 1 && path.endsWith('/'))) return notFound();
  return undefined;
}

function send(response: http.ServerResponse, method: string | undefined, error: HttpError): void {
  const body = JSON.stringify(error.body());
  response.writeHead(error.status, {
    ...SECURITY_HEADERS,
    ...error.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(method === 'HEAD' ? undefined : body);
}

/** Node's answer to a request its parser refused (as its default: 431, 408, else 400), in JSON. */
function refuseUnreadable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = JSON.stringify({ error: 'bad_request', message: 'The request is not valid HTTP/1.1 and could not be read.' });
  const headers = { ...SECURITY_HEADERS, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' };
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
type ServerPrototype = { emit: Emit; [INSTALLED]?: true };
const INSTALLED = Symbol.for('neon-next-auth.edge-guard.installed');

/** Patches http and https servers (https.Server does not inherit http.Server's patch). Idempotent. */
export function installEdgeGuard(): void {
  for (const prototype of [http.Server.prototype, https.Server.prototype] as unknown as ServerPrototype[]) {
    if (Object.hasOwn(prototype, INSTALLED)) continue;
    const emit = prototype.emit;
    prototype.emit = function (event, ...args) {
      if (event === 'request') {
        const [request, response] = args as [http.IncomingMessage, http.ServerResponse];
        const refusal = edgeRefusal(request.method, request.url);
        if (refusal) {
          send(response, request.method, refusal);
          return true;
        }
      } else if (event === 'clientError') {
        refuseUnreadable(args[0] as NodeJS.ErrnoException, args[1] as Duplex);
        return true;
      }
      return emit.call(this, event, ...args);
    };
    prototype[INSTALLED] = true;
  }
}
