import { expect } from '@playwright/test';
import { startRelay, type Relay } from '../../scripts/local/relay';
import { freePort, serverEnv, startServer, type TestServer } from './server';

/**
 * Why the server answered as it did, from its log: the line it writes before answering (so a database
 * failure is checked by its cause, a refused connection or a timeout that fired, not by the time taken).
 * Polled only because the child's output reaches this process a moment after it is written.
 */
export async function expectLogged(server: Pick<TestServer, 'output'>, line: RegExp): Promise<void> {
  await expect.poll(() => server.output(), { message: `the server's log should match ${line}`, timeout: 30_000 }).toMatch(line);
}

/** The log line of a request answered 503 because the database refused the connection at once. */
export const REFUSED = (where: string) => new RegExp(`${where}: database unavailable: .*ECONNREFUSED`);

/**
 * A server of its own whose only way to the database is a relay the test can cut and restore: a
 * database outage as the app sees it, without stopping the PostgreSQL other tests use. The relay can
 * also drop the idle connections without telling the server, as a suspended Neon compute does.
 */
export async function serverBehindCuttableRelay(env: Record<string, string> = {}): Promise<{
  server: TestServer;
  relayPort: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Relay.dropIdle: the database closes the idle connections and the server is not told (scripts/local/relay.ts). */
  dropIdle: Relay['dropIdle'];
  stop(): Promise<void>;
}> {
  const relayPort = await freePort();
  const databasePort = Number(process.env.TEST_DB_PORT);
  let relay: Relay | undefined = await startRelay({ port: relayPort, databasePort });
  const server = await startServer(serverEnv({ NEON_WS_PROXY: `127.0.0.1:${relayPort}/v2`, ...env }));
  return {
    server,
    relayPort,
    cut: async () => {
      await relay?.close();
      relay = undefined;
    },
    restore: async () => {
      relay ??= await startRelay({ port: relayPort, databasePort });
    },
    dropIdle: (options) => relay?.dropIdle(options) ?? 0,
    stop: async () => {
      await server.stop();
      await relay?.close();
    },
  };
}
