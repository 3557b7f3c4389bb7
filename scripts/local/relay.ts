/**
 * The WebSocket-to-TCP relay that lets the Neon serverless driver reach a plain PostgreSQL: each
 * WebSocket connection is piped, byte for byte, to the database's TCP port. Neon runs the same kind of
 * proxy in front of its databases; locally this one listens on loopback only. For the tests it can also
 * play the faults a database, a pooler or a network in between has (see Fault and cutAll).
 */
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * What the relay does with connections while a fault is set (undefined: relays them as usual).
 * - 'refuse': new WebSockets are accepted, but their database side is closed at once, as when the relay's
 *   TCP connect to a stopped pooler is refused (the client sees the WebSocket open, then close).
 * - 'hang': new WebSockets are accepted and never answered: nothing reaches the database, nothing comes
 *   back, nothing is closed (a pooler or network that has stopped responding).
 * - 'silence-in-transaction': an answer the database sends to a connection inside a transaction is lost,
 *   and the client side of that connection stays open and hears nothing more (a network that dies
 *   mid-transaction). Its database side is closed, so PostgreSQL rolls the transaction back and frees its
 *   locks, as a server does once it notices the client is gone.
 */
export type Fault = 'refuse' | 'hang' | 'silence-in-transaction';

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
  /** For tests: sets (or clears, with undefined) the fault the relay plays from now on. */
  setFault(fault: Fault | undefined): void;
  /** For tests: closes every open connection at once, both sides (a pooler restart, a network cut). Returns how many. */
  cutAll(): number;
  /** For tests: how many connections each fault has met so far, so a test can tell that it happened. */
  faultCounts(): Record<Fault | 'cut', number>;
};

type Pipe = {
  ws: WebSocket;
  tcp: net.Socket;
  lastTraffic: number;
  fate?: 'closed' | 'answer-lost' | 'silent';
  inTransaction: () => boolean;
};

/**
 * Follows the database's messages on one connection (type byte, 4-byte length, body) to read the status
 * byte of each ReadyForQuery ('Z'): 'T' or 'E' while a transaction is open. Cheap: it looks at headers
 * only and skips bodies. Assumes no TLS between the relay and the database (loopback).
 */
function transactionStatus(): { feed(data: Buffer): void; inTransaction(): boolean } {
  const header = Buffer.alloc(5);
  let got = 0;
  let type = 0;
  let left = 0;
  let status = 0x49; // 'I': idle
  return {
    feed(data) {
      for (let i = 0; i < data.length; ) {
        if (left > 0) {
          if (type === 0x5a) status = data.readUInt8(i); // 'Z': its one-byte body is the status
          const skip = Math.min(left, data.length - i);
          i += skip;
          left -= skip;
          continue;
        }
        if (got === 0 && i + 5 <= data.length) {
          // The usual case: the whole header is in this chunk.
          type = data.readUInt8(i);
          left = data.readUInt32BE(i + 1) - 4;
          i += 5;
          continue;
        }
        header.writeUInt8(data.readUInt8(i++), got++);
        if (got === 5) {
          type = header.readUInt8(0);
          left = header.readUInt32BE(1) - 4;
          got = 0;
        }
      }
    },
    inTransaction: () => status !== 0x49,
  };
}

export async function startRelay(options: {
  port: number;
  databasePort: number;
  host?: string;
}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const open = new Set<Pipe>();
  const counts: Record<Fault | 'cut', number> = { refuse: 0, hang: 0, 'silence-in-transaction': 0, cut: 0 };
  let fault: Fault | undefined;
  const server = new WebSocketServer({ host, port: options.port, perMessageDeflate: false });

  server.on('connection', (ws) => {
    const hang = fault === 'hang';
    const refuse = fault === 'refuse';
    if (hang) counts.hang++;
    if (refuse) counts.refuse++;
    // A hung connection has no database side: a socket that is never connected stands in for it.
    const tcp = hang ? new net.Socket() : net.connect({ host, port: options.databasePort });
    tcp.setNoDelay(true);
    const status = transactionStatus();
    const pipe: Pipe = { ws, tcp, lastTraffic: Date.now(), inTransaction: status.inTransaction, fate: hang ? 'silent' : undefined };
    open.add(pipe);
    const end = () => {
      open.delete(pipe);
      ws.terminate();
      tcp.destroy();
    };
    ws.on('message', (data: Buffer) => {
      pipe.lastTraffic = Date.now();
      if (pipe.fate === 'closed') end();
      else if (pipe.fate !== 'silent') tcp.write(data);
    });
    tcp.on('data', (data) => {
      pipe.lastTraffic = Date.now();
      if (pipe.fate === 'silent') return;
      if (pipe.fate === 'answer-lost') return end();
      if (fault === 'silence-in-transaction' && pipe.inTransaction()) {
        counts['silence-in-transaction']++;
        pipe.fate = 'silent';
        tcp.destroy();
        return;
      }
      status.feed(data);
      ws.send(data);
    });
    // A database side closed by dropIdle() is not passed on: the client is to find out on use. Nor is
    // one closed under a silenced connection: the client is to hear nothing.
    const tcpEnded = () => pipe.fate !== 'closed' && pipe.fate !== 'silent' && end();
    ws.on('close', end);
    ws.on('error', end);
    tcp.on('close', tcpEnded);
    tcp.on('error', tcpEnded);
    // The same path as a TCP connect the pooler refused: the database side closes, so the WebSocket does.
    if (refuse) tcp.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  const cutAll = () => {
    const cut = open.size;
    for (const { ws, tcp } of open) {
      ws.terminate();
      tcp.destroy();
    }
    open.clear();
    counts.cut += cut;
    return cut;
  };

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Cut live connections too, as a database outage would.
        cutAll();
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
    setFault: (next) => {
      fault = next;
    },
    cutAll,
    faultCounts: () => ({ ...counts }),
  };
}
