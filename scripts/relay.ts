/**
 * The WebSocket-to-TCP relay that lets the Neon serverless driver reach a plain PostgreSQL: each
 * WebSocket connection is piped, byte for byte, to the database's TCP port. Neon runs the same kind of
 * proxy in front of its databases; locally this one listens on loopback only.
 */
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Relay = { port: number; close(): Promise<void> };

export async function startRelay(options: {
  port: number;
  databasePort: number;
  host?: string;
}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const open = new Set<{ ws: WebSocket; tcp: net.Socket }>();
  const server = new WebSocketServer({ host, port: options.port, perMessageDeflate: false });

  server.on('connection', (ws) => {
    const tcp = net.connect({ host, port: options.databasePort });
    tcp.setNoDelay(true);
    const pair = { ws, tcp };
    open.add(pair);
    ws.on('message', (data: Buffer) => tcp.write(data));
    tcp.on('data', (data) => ws.send(data));
    const end = () => {
      open.delete(pair);
      ws.terminate();
      tcp.destroy();
    };
    ws.on('close', end);
    ws.on('error', end);
    tcp.on('close', end);
    tcp.on('error', end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Cut live connections too, as a database outage would.
        for (const { ws, tcp } of open) {
          ws.terminate();
          tcp.destroy();
        }
        open.clear();
        server.close(() => resolve());
      }),
  };
}
