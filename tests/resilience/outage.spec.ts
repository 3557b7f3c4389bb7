import { expect, test } from '../support/fixtures';
import { expectLogged, REFUSED, serverBehindCuttableRelay } from '../support/outage';

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
});
