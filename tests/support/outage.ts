import { expect } from '@playwright/test';
import { startRelay, type Relay } from '../../scripts/local/relay';
import { PASSWORD, uniqueEmail } from './fixtures';
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

/**
 * Several servers (instances, each with its own pool) whose only way to the database is one relay, the
 * pooler's endpoint as they all see it: the test plays its faults (scripts/local/relay.ts, Fault and cutAll).
 */
export async function serversBehindOneRelay(count: number, env: Record<string, string> = {}): Promise<{
  servers: TestServer[];
  relay: Relay;
  stop(): Promise<void>;
}> {
  const relay = await startRelay({ port: await freePort(), databasePort: Number(process.env.TEST_DB_PORT) });
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startServer(serverEnv({ NEON_WS_PROXY: `127.0.0.1:${relay.port}/v2`, ...env }))),
  );
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await relay.close();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { servers, relay, stop };
}

type Answer = { server: number; path: string; status: number; startedAt: number; endedAt: number };

/**
 * A light load of signed-in clients, each calling GET /auth/me (one statement) and POST /auth/refresh (a
 * transaction) in turn, round robin over the servers, with a pause between requests. Every answer is
 * kept. A refresh that fails keeps its token: the rotation's outcome is unknown, and a spent token shown
 * again within REFRESH_REUSE_GRACE gets the same successor.
 */
export class SignedInLoad {
  readonly answers: Answer[] = [];
  /** Answers that are neither a 200 nor a 503 with the JSON error a client can act on. */
  readonly unexpected: string[] = [];
  private running: Promise<void>[] = [];
  private stopping = false;

  private constructor(
    private readonly urls: string[],
    private readonly clients: { access: string; refresh: string }[],
  ) {}

  static async signIn(urls: string[], count: number): Promise<SignedInLoad> {
    const clients = [];
    for (let i = 0; i < count; i++) {
      const url = urls[i % urls.length]!;
      const body = JSON.stringify({ email: uniqueEmail('load'), password: PASSWORD });
      const headers = { 'content-type': 'application/json' };
      expect((await fetch(`${url}/auth/register`, { method: 'POST', headers, body })).status).toBe(201);
      const login = await fetch(`${url}/auth/login`, { method: 'POST', headers, body });
      expect(login.status).toBe(200);
      const pair = (await login.json()) as { access_token: string; refresh_token: string };
      clients.push({ access: pair.access_token, refresh: pair.refresh_token });
    }
    return new SignedInLoad(urls, clients);
  }

  start(pauseMs = 50): void {
    this.running = this.clients.map(async (client, n) => {
      for (let turn = n; !this.stopping; turn++) {
        await this.call(turn % this.urls.length, client, turn % 2 === 0 ? '/auth/me' : '/auth/refresh');
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  /** The answers of one server to requests started at or after `since`. */
  from(server: number, since: number): Answer[] {
    return this.answers.filter((a) => a.server === server && a.startedAt >= since);
  }

  private async call(server: number, client: { access: string; refresh: string }, path: string): Promise<void> {
    const startedAt = Date.now();
    const url = `${this.urls[server]}${path}`;
    const response =
      path === '/auth/me'
        ? await fetch(url, { headers: { authorization: `Bearer ${client.access}` } })
        : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: client.refresh }) });
    const body = (await response.json().catch(() => undefined)) as { error?: string; refresh_token?: string } | undefined;
    this.answers.push({ server, path, status: response.status, startedAt, endedAt: Date.now() });
    if (response.status === 200 && body?.refresh_token) client.refresh = body.refresh_token;
    const understood = response.status === 200 || (response.status === 503 && body?.error === 'service_unavailable');
    if (!understood) this.unexpected.push(`${path} on server ${server}: ${response.status} ${JSON.stringify(body)}`);
  }
}
