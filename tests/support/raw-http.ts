/**
 * HTTP/1.1 by hand over a TCP socket, for tests that need control fetch does not give: a body sent in
 * pieces (or left unfinished), chunked transfer encoding, and the bytes on the wire.
 */
import net from 'node:net';

export type RawResponse = { status: number; headers: Record<string, string>; body: string };

export type RawRequest = {
  /** Writes bytes of the body (or, for a chunked request, one chunk); resolves once they are sent. */
  send(bytes: Buffer | string): Promise<void>;
  /** Ends a chunked body (the zero-length chunk). */
  endChunks(): Promise<void>;
  /** The server's answer, read until it closes the connection (every request says Connection: close). */
  response: Promise<RawResponse>;
  destroy(): void;
};

/**
 * Opens a connection and sends the request line and headers. With `contentLength` the body is sent as
 * is; without it, as chunks (Transfer-Encoding: chunked).
 */
export function openRequest(
  baseUrl: string,
  { method = 'POST', path, headers = {}, contentLength }: { method?: string; path: string; headers?: Record<string, string>; contentLength?: number },
): RawRequest {
  const url = new URL(baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  const chunked = contentLength === undefined;
  const lines = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${url.host}`,
    'Connection: close',
    chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${contentLength}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);

  const received: Buffer[] = [];
  const response = new Promise<RawResponse>((resolve, reject) => {
    socket.on('data', (data) => received.push(data));
    // The server may answer and close while the client is still sending: that is an answer too.
    socket.on('error', (error) => (received.length > 0 ? undefined : reject(error)));
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(received)));
      } catch (error) {
        reject(error);
      }
    });
  });
  response.catch(() => {}); // read by the caller, or not at all

  const write = (bytes: Buffer | string) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.write(bytes, () => resolve());
    });
  return {
    send: (bytes) => {
      if (!chunked) return write(bytes);
      const data = Buffer.from(bytes);
      return write(Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]));
    },
    endChunks: () => write('0\r\n\r\n'),
    response,
    destroy: () => socket.destroy(),
  };
}

function parseResponse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP response: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
