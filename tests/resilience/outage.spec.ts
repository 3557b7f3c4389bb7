import { expect, test } from '../support/fixtures';
import { serverBehindCuttableRelay } from '../support/outage';

test.describe('database outage', () => {
  test('/health answers 503 within seconds while the database is unreachable, and ok again after, without a restart', async () => {
    const rig = await serverBehindCuttableRelay();
    try {
      expect((await fetch(`${rig.server.url}/health`)).status).toBe(200);
      await rig.cut();
      const started = Date.now();
      const down = await fetch(`${rig.server.url}/health`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'error', database: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(5_000);
      await rig.restore();
      const up = await fetch(`${rig.server.url}/health`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ status: 'ok', database: 'ok' });
    } finally {
      await rig.stop();
    }
  });
});
