import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView } from '../../../src/schemas/api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Samples at the edges of what the hub knows, through the real broker and database on a fake hub
// clock, with the periodic sweep run only when the test says so:
// - a health sample observed at (or just after) the end of a maintenance window applies from the
//   end whether it reaches the hub before or after the sweep that ends the window;
// - the camera row shows the latest sample's reasons, even when only their words change.

const H = 3_600_000;
const S = 1000;
const T0 = Date.parse('2026-11-24T08:00:00Z');

interface Interval {
  state: string;
  startMs: number;
  endMs: number | null;
}

describe('samples at the edges', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let op: string;
  let clock = T0;
  const siteId = uniqueId('edges');
  const council = uniqueId('council');
  const atEnd = `${siteId}-at-end`;
  const afterEnd = `${siteId}-after-end`;
  const worded = `${siteId}-worded`;

  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${op}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const send = async (cameraId: string, observedAtMs: number, state: 'up' | 'down' = 'up', message = '') => {
    const before = h.hub.pipeline.stats.received;
    const reasons = state === 'down' ? [{ code: 'unreachable' as const, message }] : [];
    await site.publish('health', health(cameraId, state, reasons), cameraId, new Date(observedAtMs));
    for (let i = 0; i < 400 && h.hub.pipeline.stats.received <= before; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
  };
  const intervals = async (cameraId: string, fromMs: number): Promise<Interval[]> =>
    (
      await h.hub.database.pool.query<{ state: string; started_at: Date; ended_at: Date | null }>(
        `SELECT state, started_at, ended_at FROM camera_state_intervals
          WHERE camera_id = $1 AND (ended_at IS NULL OR ended_at > $2) ORDER BY started_at, id`,
        [cameraId, new Date(fromMs)],
      )
    ).rows.map((r) => ({
      state: r.state,
      startMs: r.started_at.getTime(),
      endMs: r.ended_at ? r.ended_at.getTime() : null,
    }));
  /** Seconds in each state from `fromMs` to `toMs`. */
  const seconds = (list: Interval[], fromMs: number, toMs: number) => {
    const out: Record<string, number> = {};
    for (const i of list) {
      const ms = Math.min(i.endMs ?? toMs, toMs) - Math.max(i.startMs, fromMs);
      if (ms > 0) out[i.state] = (out[i.state] ?? 0) + ms / S;
    }
    return out;
  };
  const window = async (fromMs: number, toMs: number) => {
    const created = await call<{ id: number }>('POST', '/api/maintenance', {
      scope: 'site',
      scopeId: siteId,
      title: 'Lens cleaning',
      startsAt: new Date(fromMs).toISOString(),
      endsAt: new Date(toMs).toISOString(),
    });
    expect(created.status).toBe(201);
  };

  beforeAll(async () => {
    // The sweep is run by hand (sweepNow): its own timer would fire only after the test ends.
    h = await startHub(
      { CCTV_HUB__state__staleAfterMs: String(30 * 24 * H), CCTV_HUB__state__sweepIntervalMs: String(H) },
      { now: () => clock },
    );
    await h.createUser('op', 'operator');
    op = await h.login('op');
    await h.registerSite(siteId, council, { cameraIds: [atEnd, afterEnd, worded] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    const base = h.hub.pipeline.stats.received;
    await site.publish('inventory', inventory(council, [atEnd, afterEnd, worded]), undefined, new Date(T0));
    await site.publish('siteState', { state: 'online' }, undefined, new Date(T0));
    for (let i = 0; i < 400 && h.hub.pipeline.stats.received < base + 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
    for (const cam of [atEnd, afterEnd, worded]) await send(cam, T0);
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it.each([
    { order: 'sample before the sweep', startMs: T0 + H, sweepFirst: false },
    { order: 'sweep before the sample', startMs: T0 + 3 * H, sweepFirst: true },
  ])(
    'applies a sample observed at or after a window end from the end: $order',
    async ({ startMs, sweepFirst }) => {
      const endMs = startMs + H;
      await window(startMs, endMs);
      clock = startMs + S;
      await h.hub.pipeline.sweepNow();
      for (const cam of [atEnd, afterEnd])
        expect((await call<CameraView>('GET', `/api/cameras/${cam}`)).body.state).toBe('maintenance');
      // The samples reach the hub 30 s after the window's end; the sweep comes before or after them.
      clock = endMs + 30 * S;
      if (sweepFirst) await h.hub.pipeline.sweepNow();
      await send(atEnd, endMs);
      await send(afterEnd, endMs + 5 * S);
      if (!sweepFirst) await h.hub.pipeline.sweepNow();
      const until = endMs + 60 * S;
      clock = until;
      // To the second: no unknown at all for the sample at the end, 5 s for the one 5 s after it.
      expect(seconds(await intervals(atEnd, startMs), startMs, until)).toEqual({ maintenance: 3600, up: 60 });
      expect(seconds(await intervals(afterEnd, startMs), startMs, until)).toEqual({
        maintenance: 3600,
        unknown: 5,
        up: 55,
      });
      for (const cam of [atEnd, afterEnd])
        expect((await call<CameraView>('GET', `/api/cameras/${cam}`)).body.state).toBe('up');
    },
  );

  it('shows the latest sample reasons when only their words change', async () => {
    const t = clock;
    await send(worded, t + S, 'down', 'connection refused');
    let view = (await call<CameraView>('GET', `/api/cameras/${worded}`)).body;
    expect(view.state).toBe('down');
    expect(view.reasons.map((r) => r.message)).toEqual(['connection refused']);
    await send(worded, t + 2 * S, 'down', 'no answer within 5000 ms');
    view = (await call<CameraView>('GET', `/api/cameras/${worded}`)).body;
    expect(view.reasons.map((r) => r.message)).toEqual(['no answer within 5000 ms']);
    // Same state: one down interval, not a new one per wording.
    const down = (await intervals(worded, t)).filter((i) => i.state === 'down');
    expect(down).toHaveLength(1);
  });
});
