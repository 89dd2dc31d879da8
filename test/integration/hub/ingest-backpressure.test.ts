import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Overload: more messages arrive than the hub may hold unwritten (ingest.maxQueued). The hub stops
// reading from the broker until a batch commits, so the backlog waits in the broker's session, and
// everything is still stored exactly once.

describe('ingest backpressure', () => {
  let h: HubHarness;
  let site: SitePublisher;
  const siteId = uniqueId('bp');
  const cams = [1, 2, 3, 4, 5].map((i) => `${siteId}-c${i}`);

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__ingest__maxQueued: '10', CCTV_HUB__ingest__batchSize: '5' });
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
    await site.publish('inventory', inventory(council, cams));
    await eventually('the inventory', async () =>
      cams.every((id) => h.hub.fleet.cameras.has(id)) ? true : undefined,
    );
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('pauses reading while maxQueued messages wait, and stores every message once', async () => {
    const before = structuredClone(h.hub.pipeline.stats);
    const start = Date.now() - 60_000;
    const ids = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        site.publish(
          'health',
          health(cams[i % cams.length] as string, 'up'),
          cams[i % cams.length],
          new Date(start + i),
        ),
      ),
    );
    const stored = await eventually(
      'every message stored',
      async () => {
        const rows = await h.hub.database.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = ANY($1)',
          [ids],
        );
        const n = rows.rows[0]?.n ?? 0;
        return n >= ids.length ? n : undefined;
      },
      30_000,
    );
    expect(stored).toBe(ids.length);
    const stats = h.hub.pipeline.stats;
    expect(stats.readPauses).toBeGreaterThan(before.readPauses);
    expect(stats.accepted - before.accepted).toBe(ids.length);
    expect(stats.deadLettered).toBe(before.deadLettered);
    expect(stats.storeDelay.count - before.storeDelay.count).toBe(ids.length);
  });
});
