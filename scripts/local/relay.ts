/**
 * The WebSocket-to-TCP relay that lets the Neon serverless driver reach a plain PostgreSQL: each
 * WebSocket connection is piped, byte for byte, to the database's TCP port. Neon runs the same kind of
 * proxy in front of its databases; locally this one listens on loopback only.
 */
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Relay = {
  port: number;
  close(): Promise<void>;
  /**
   * For tests: ends every connection that has carried no traffic for `idleForMs` (call it between
   * requests, when all are idle), the way a Neon compute that suspends does, without telling the
   * client: its session on PostgreSQL ends now, and the client finds out only when it next sends
   * something, which then meets a closed connection and is not delivered. That is what a process
   * frozen by a serverless host sees after a thaw when the close never reached it (or a NAT or load
   * balancer dropped the idle connection). With `answerLost`, the next statement is still delivered
   * and runs; its answer is lost with the connection instead. Returns how many connections it ended.
   */
  dropIdle(options?: { idleForMs?: number; answerLost?: boolean }): number;
};

type Pipe = { ws: WebSocket; tcp: net.Socket; lastTraffic: number; fate?: 'closed' | 'answer-lost' };

export async function startRelay(options: {
  port: number;
  databasePort: number;
  host?: string;
}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const open = new Set<Pipe>();
  const server = new WebSocketServer({ host, port: options.port, perMessageDeflate: false });

  server.on('connection', (ws) => {
    const tcp = net.connect({ host, port: options.databasePort });
    tcp.setNoDelay(true);
    const pipe: Pipe = { ws, tcp, lastTraffic: Date.now() };
    open.add(pipe);
    const end = () => {
      open.delete(pipe);
      ws.terminate();
      tcp.destroy();
    };
    ws.on('message', (data: Buffer) => {
      pipe.lastTraffic = Date.now();
      if (pipe.fate === 'closed') end();
      else tcp.write(data);
    });
    tcp.on('data', (data) => {
      pipe.lastTraffic = Date.now();
      if (pipe.fate === 'answer-lost') end();
      else ws.send(data);
    });
    // A database side closed by dropIdle() is not passed on: the client is to find out on use.
    const tcpEnded = () => pipe.fate !== 'closed' && end();
    ws.on('close', end);
    ws.on('error', end);
    tcp.on('close', tcpEnded);
    tcp.on('error', tcpEnded);
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
    dropIdle: ({ idleForMs = 0, answerLost = false } = {}) => {
      let dropped = 0;
      for (const pipe of open) {
        if (pipe.fate || Date.now() - pipe.lastTraffic < idleForMs) continue;
        dropped++;
        pipe.fate = answerLost ? 'answer-lost' : 'closed';
        if (!answerLost) pipe.tcp.destroy();
      }
      return dropped;
    },
  };
}
