import type { Fault, Relay } from '../../scripts/local/relay';
import { expect, test } from '../support/fixtures';
import { expectLogged, REFUSED, serverBehindCuttableRelay, serversBehindOneRelay, SignedInLoad } from '../support/outage';

test.describe('database outage', () => {
  test('/health answers 503 at once while the database is unreachable, and ok again after, without a restart', async () => {
    const rig = await serverBehindCuttableRelay();
    try {
      expect((await fetch(`${rig.server.url}/health`)).status).toBe(200);
      await rig.cut();
      const down = await fetch(`${rig.server.url}/health`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'error', database: 'unavailable' });
      // At once: from the refused connection, not after a timeout.
      await expectLogged(rig.server, REFUSED('GET /health'));
      await rig.restore();
      const up = await fetch(`${rig.server.url}/health`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ status: 'ok', database: 'ok' });
    } finally {
      await rig.stop();
    }
  });

  // The outages an operator meets, as the relay in front of the database plays them. Each starts while
  // the load runs and ends with the database reachable again.
  const SHAPES: { name: string; fault?: Fault; cut: boolean; holdMs: number }[] = [
    { name: 'pooler stopped for 3 s (open connections cut, new WebSockets accepted and their database side refused)', fault: 'refuse', cut: true, holdMs: 3_000 },
    { name: 'every open connection cut at once', cut: true, holdMs: 0 },
    { name: 'new connections hang for 3 s, never answered (open ones cut first)', fault: 'hang', cut: true, holdMs: 3_000 },
    { name: 'answers lost mid-transaction for 3 s (those connections go silent)', fault: 'silence-in-transaction', cut: false, holdMs: 3_000 },
  ];
  const SERVERS = 2;
  /** Generous: the app's own timeouts are 4 s (lib/db/index.ts); the recovery figures are far below this. */
  const RECOVERS_WITHIN_MS = 20_000;

  test('every instance recovers by itself after each shape of outage, under load: then every request succeeds on every pool', async () => {
    test.setTimeout(300_000);
    // A small pool, so that a few slots lost for good would take an instance out; the reuse grace is long
    // so that a refresh answered 503 after it committed is still good when the client tries again.
    const rig = await serversBehindOneRelay(SERVERS, { DB_POOL_MAX: '3', REFRESH_REUSE_GRACE: '5m' });
    const urls = rig.servers.map((server) => server.url);
    const load = await SignedInLoad.signIn(urls, 6);
    const figures: string[] = [];
    load.start();
    try {
      for (const shape of SHAPES) {
        const began = Date.now();
        await play(rig.relay, shape, async () => {
          // While the pooler refuses, or every connection an instance has hangs, its health check says so
          // (a platform or load balancer then takes it out), and says so again once it can serve.
          if (shape.fault === 'refuse' || shape.fault === 'hang') {
            expect(await Promise.all(urls.map(async (url) => (await fetch(`${url}/health`)).status))).toEqual(urls.map(() => 503));
          }
        });
        const back = Date.now();

        // Every instance answers again without a restart: its last dozen requests all succeeded...
        await expect
          .poll(() => urls.map((_, server) => { const recent = load.from(server, back).slice(-12); return recent.length === 12 && recent.every((a) => a.status === 200); }), {
            message: `${shape.name}: every instance answers 200 again within ${RECOVERS_WITHIN_MS} ms of the database being back`,
            timeout: RECOVERS_WITHIN_MS,
          })
          .toEqual(urls.map(() => true));
        // ...and from then on every request succeeds, on every instance, health checks included: the next
        // dozen each answers (a count, not a time: a loaded machine makes requests slow, not wrong).
        const recovered = Date.now();
        await expect
          .poll(() => urls.map((_, server) => load.from(server, recovered).length >= 12), { message: 'each instance answered a dozen more requests', timeout: 60_000 })
          .toEqual(urls.map(() => true));
        for (const [server, url] of urls.entries()) {
          const answers = load.from(server, recovered);
          expect(answers.filter((a) => a.status !== 200), `${shape.name}: failed requests on server ${server} after recovery`).toEqual([]);
          expect((await fetch(`${url}/health`)).status).toBe(200);
        }
        const lastFailure = Math.max(0, ...load.answers.filter((a) => a.status !== 200).map((a) => a.endedAt - back));
        const during = load.answers.filter((a) => a.endedAt >= began && a.startedAt < back);
        figures.push(
          `${shape.name}: ${during.filter((a) => a.status === 503).length}/${during.length} answered 503 during it, slowest ${Math.max(0, ...during.map((a) => a.endedAt - a.startedAt))} ms; ` +
            `the last failed answer came ${lastFailure} ms after the database was back`,
        );
      }
    } finally {
      await load.stop();
      await rig.stop();
    }
    // Every shape did meet connections (a fault that touched nothing would prove nothing).
    const counts = rig.relay.faultCounts();
    expect(counts.refuse).toBeGreaterThan(0);
    expect(counts.hang).toBeGreaterThan(0);
    expect(counts['silence-in-transaction']).toBeGreaterThan(0);
    expect(counts.cut).toBeGreaterThan(0);
    // Never a 500, a 401 or a hang cut short: 200, or 503 with the JSON error.
    expect(load.unexpected).toEqual([]);
    for (const figure of figures) test.info().annotations.push({ type: 'figure', description: `outage under load, ${SERVERS} instances: ${figure}` });
  });
});

/** Plays one shape: cuts the open connections if it says so, holds its fault for its time, then clears it. */
async function play(relay: Relay, shape: { fault?: Fault; cut: boolean; holdMs: number }, during: () => Promise<void>): Promise<void> {
  if (shape.cut) relay.cutAll();
  relay.setFault(shape.fault);
  const until = Date.now() + shape.holdMs;
  try {
    await during();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
  } finally {
    relay.setFault(undefined);
  }
}
