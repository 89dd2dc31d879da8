import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A camera row's heartbeat columns (last seen, last health) are rewritten at most every
// state.heartbeatWriteMs while the camera's state stands; a state change is written at once, and
// nothing held back is lost: a sweep writes it once due, and shutdown writes the rest.

const S = 1000;
const T0 = Date.parse('2026-06-01T10:00:00Z');

describe('camera row heartbeat writes', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let clock = T0;
  const siteId = uniqueId('rows');
  const cam = `${siteId}-c1`;

  beforeAll(async () => {
    h = await startHub(
      { CCTV_HUB__state__heartbeatWriteMs: String(5 * S), CCTV_HUB__state__staleAfterMs: String(600 * S) },
      { now: () => clock },
    );
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, [cam]), undefined, new Date(T0));
    await eventually('the inventory', async () => (h.hub.fleet.cameras.has(cam) ? true : undefined));
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  const row = async () =>
    (
      await h.hub.database.pool.query<{ state: string; seen: Date | null; health_at: Date | null }>(
        'SELECT state, last_seen_at AS seen, last_health_at AS health_at FROM cameras WHERE id = $1',
        [cam],
      )
    ).rows[0];
  const beat = async (atMs: number, state: 'up' | 'down' = 'up') => {
    clock = atMs;
    const before = h.hub.pipeline.stats.accepted;
    await site.publish(
      'health',
      health(cam, state, state === 'down' ? [{ code: 'unreachable', message: 'no answer' }] : []),
      cam,
      new Date(atMs),
    );
    await eventually('the sample stored', async () =>
      h.hub.pipeline.stats.accepted > before ? true : undefined,
    );
    await h.hub.pipeline.idle();
  };

  it('holds heartbeat columns back, writes state changes at once, and loses nothing', async () => {
    await beat(T0 + 1 * S);
    expect(await row()).toEqual({ state: 'up', seen: new Date(T0 + 1 * S), health_at: new Date(T0 + 1 * S) });
    await beat(T0 + 2 * S);
    await beat(T0 + 3 * S);
    // Held back: the row still shows the first sample; the fleet in memory (live views) the newest.
    expect((await row())?.seen).toEqual(new Date(T0 + 1 * S));
    expect(h.hub.fleet.cameras.get(cam)?.lastSeenAt).toBe(new Date(T0 + 3 * S).toISOString());
    // Every sample is stored as it arrives.
    const samples = await h.hub.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM health_samples WHERE camera_id = $1',
      [cam],
    );
    expect(samples.rows[0]?.n).toBe(3);
    // A sweep once the write is due brings the row up to date, with no new sample.
    clock = T0 + 7 * S;
    await eventually('the held columns written', async () =>
      (await row())?.seen?.getTime() === T0 + 3 * S ? true : undefined,
    );
    expect((await row())?.health_at).toEqual(new Date(T0 + 3 * S));
    // A state change is written at once.
    await beat(T0 + 8 * S, 'down');
    expect(await row()).toEqual({
      state: 'down',
      seen: new Date(T0 + 8 * S),
      health_at: new Date(T0 + 8 * S),
    });
    await beat(T0 + 9 * S, 'down');
    expect((await row())?.seen).toEqual(new Date(T0 + 8 * S));
    // Shutdown writes whatever is held.
    await h.hub.pipeline.flushHeartbeats();
    expect(await row()).toEqual({
      state: 'down',
      seen: new Date(T0 + 9 * S),
      health_at: new Date(T0 + 9 * S),
    });
  });
});
