import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A hub working through a backlog: ten minutes of heartbeats reach it at once, while its clock
// already reads the end of those ten minutes (as after a restart, or when it fell behind). The
// stale sweep runs all the while. A camera whose next heartbeat is still waiting to be stored is
// not stale: it must never be reported unknown, and no heartbeat may turn into late data.

const S = 1000;
const M = 60 * S;
const T0 = Date.parse('2026-06-01T10:00:00Z');

describe('ingest backlog and the stale sweep', () => {
  let h: HubHarness;
  let site: SitePublisher;
  const siteId = uniqueId('backlog');
  const cams = [1, 2, 3, 4, 5].map((i) => `${siteId}-c${i}`);
  /** The hub clock reads T0 until the backlog starts arriving, then T0 + 10 min. */
  let backlogFrom = Number.POSITIVE_INFINITY;

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__state__staleAfterMs: String(M),
        CCTV_HUB__state__sweepIntervalMs: '100',
        CCTV_HUB__ingest__batchSize: '10',
      },
      { now: () => (h && h.hub.pipeline.stats.received >= backlogFrom ? T0 + 10 * M : T0) },
    );
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, cams), undefined, new Date(T0));
    await site.publish('siteState', { state: 'online' }, undefined, new Date(T0));
    for (const cam of cams) await site.publish('health', health(cam, 'up'), cam, new Date(T0));
    await eventually('the cameras up', async () =>
      cams.every((id) => h.hub.fleet.cameras.get(id)?.state === 'up') ? true : undefined,
    );
    await h.hub.pipeline.idle();
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('does not call a camera stale while its heartbeats are still queued', async () => {
    const pushed: { id: string; state: CameraState }[] = [];
    const off = h.hub.pipeline.onChange((change) => {
      for (const c of change.cameras) if (cams.includes(c.id)) pushed.push({ id: c.id, state: c.state });
    });
    const before = structuredClone(h.hub.pipeline.stats);
    backlogFrom = before.received + 1;
    const sends: Promise<string>[] = [];
    for (let t = 5 * S; t <= 10 * M; t += 5 * S)
      for (const cam of cams) sends.push(site.publish('health', health(cam, 'up'), cam, new Date(T0 + t)));
    const ids = await Promise.all(sends);
    await eventually(
      'the backlog stored',
      async () => (h.hub.pipeline.stats.accepted - before.accepted >= ids.length ? true : undefined),
      60_000,
    );
    await h.hub.pipeline.idle();
    off();

    // The sweep ran while the backlog was being stored (every 100 ms, over dozens of batches).
    expect(h.hub.pipeline.stats.batches - before.batches).toBeGreaterThanOrEqual(ids.length / 10);
    expect(pushed.filter((p) => p.state !== 'up')).toEqual([]);
    for (const id of cams) {
      const cam = h.hub.fleet.cameras.get(id);
      expect(cam?.state).toBe('up');
      expect(cam?.lastSeenAt).toBe(new Date(T0 + 10 * M).toISOString());
    }
    // After T0 each camera has one interval, up and still open: nothing was marked unknown and merged back.
    const intervals = await h.hub.database.pool.query<{ camera_id: string; state: string; open: boolean }>(
      `SELECT camera_id, state, ended_at IS NULL AS open FROM camera_state_intervals
        WHERE camera_id = ANY($1) AND (ended_at IS NULL OR ended_at > $2) ORDER BY camera_id, started_at`,
      [cams, new Date(T0)],
    );
    expect(intervals.rows).toEqual(cams.map((camera_id) => ({ camera_id, state: 'up', open: true })));
  });
});
