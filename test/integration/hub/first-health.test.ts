import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// An agent publishes its inventory, then its first health polls straight away. The hub may read the
// inventory after those polls were observed (a busy hub, a slow link): a new camera is unknown from
// when the agent made its inventory, so the first poll is its current state, not late history.

describe('first health poll after an inventory', () => {
  let h: HubHarness;
  let site: SitePublisher;
  const siteId = uniqueId('first');
  const cam = `${siteId}-c1`;
  const council = uniqueId('council');

  beforeAll(async () => {
    h = await startHub();
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('makes a new camera up with the poll observed before the hub read the inventory', async () => {
    const now = Date.now();
    await site.publish('inventory', inventory(council, [cam]), undefined, new Date(now - 2_000));
    await site.publish('health', health(cam, 'up'), cam, new Date(now - 1_000));
    const camera = await eventually('the camera up', async () => {
      await h.hub.pipeline.idle();
      const c = h.hub.fleet.cameras.get(cam);
      return c?.state === 'up' ? c : undefined;
    });
    expect(Date.parse(camera.stateSince)).toBe(now - 1_000);
    const row = await h.hub.database.pool.query<{ state: string; since: Date }>(
      'SELECT state, state_since AS since FROM cameras WHERE id = $1',
      [cam],
    );
    expect(row.rows[0]?.state).toBe('up');
    expect(row.rows[0]?.since.getTime()).toBe(now - 1_000);
    // Nothing was merged as late, and no batch failed on the way.
    expect(h.hub.pipeline.stats.failedBatches).toBe(0);
  });
});
