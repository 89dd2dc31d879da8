import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSummary, UptimeReport } from '../../../src/schemas/api.ts';
import { londonDayWindow } from '../../../src/uptime/london-time.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A camera history driven through real MQTT ingest on a fake hub clock, across the spring clock
// change, then read back through the uptime API (rollups + intervals). Expectations by hand.

const H = 3_600_000;
const at = (s: string) => Date.parse(s);

describe('uptime API over a known history', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let token: string;
  let clock = at('2026-03-28T22:00:00Z');
  const siteId = uniqueId('uptime');
  const council = uniqueId('council');
  const [camA, camB] = [`${siteId}-a`, `${siteId}-b`];

  const settle = async (expected: number) => {
    for (let i = 0; i < 200 && h.hub.pipeline.stats.received < expected; i++)
      await new Promise((r) => setTimeout(r, 25));
    await h.hub.pipeline.idle();
  };
  let sent = 0;
  const send = async (nowIso: string, fn: () => Promise<unknown>) => {
    clock = at(nowIso);
    await fn();
    sent++;
    await settle(sent);
  };
  const uptime = async (query: string, bearer = token) => {
    const response = await fetch(`${h.hub.url}/api/uptime?${query}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    return { status: response.status, body: (await response.json()) as UptimeReport };
  };

  beforeAll(async () => {
    // Staleness would turn the camera unknown during the clock jumps; this test is about intervals.
    h = await startHub({ CCTV_HUB__state__staleAfterMs: String(30 * 24 * H) }, { now: () => clock });
    await h.createUser('op', 'operator');
    token = await h.login('op');
    await h.registerSite(siteId, council, { cameraIds: [camA, camB] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    sent = h.hub.pipeline.stats.received;
    // Site statements are dated on the hub's (fake) clock, as an agent in step with it would date them.
    const state = (s: 'online' | 'offline') => () =>
      site.publish('siteState', { state: s }, undefined, new Date(clock));
    await send('2026-03-28T22:00:00Z', () =>
      site.publish('inventory', inventory(council, [camA, camB]), undefined, new Date(clock)),
    );
    await send('2026-03-28T22:00:00Z', state('online'));
    const obs = async (iso: string, cam: string, state: 'up' | 'down') =>
      send(iso, () => site.publish('health', health(cam, state), cam, new Date(iso)));
    await obs('2026-03-28T22:01:00Z', camA, 'up');
    await obs('2026-03-28T22:01:00Z', camB, 'up');
    await obs('2026-03-29T01:30:00Z', camA, 'down');
    await obs('2026-03-29T02:30:00Z', camA, 'up');
    // The site's link fails at 10:00 UTC (its last will) and comes back at 12:00.
    await send('2026-03-29T10:00:00Z', state('offline'));
    await send('2026-03-29T12:00:00Z', state('online'));
    await obs('2026-03-29T12:00:00Z', camA, 'up');
    await obs('2026-03-29T12:00:00Z', camB, 'up');
    clock = at('2026-03-30T03:00:00Z');
    // Sessions expire on the hub's clock: sign in again at the time the reports are read.
    token = await h.login('op');
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('reports the 23-hour spring clock-change day exactly', async () => {
    const day = londonDayWindow('2026-03-29');
    const { status, body } = await uptime(
      `scope=camera&id=${camA}&window=custom&from=${new Date(day.fromMs).toISOString()}&to=${new Date(day.toMs).toISOString()}`,
    );
    expect(status).toBe(200);
    // 00:00-01:30 up, 01:30-02:30 down, 02:30-10:00 up, 10:00-12:00 unknown (site offline), 12:00-23:00 up.
    expect(body.total.durationsMs).toEqual({
      up: 20 * H,
      degraded: 0,
      down: H,
      unknown: 2 * H,
      maintenance: 0,
    });
    expect(body.total.availability).toBeCloseTo(20 / 21, 12);
    expect(body.total.observed).toBeCloseTo(21 / 23, 12);
  });

  it('adds cameras up for a site, including the open intervals up to now', async () => {
    const { body } = await uptime(
      `scope=site&id=${siteId}&window=custom&from=2026-03-29T00:00:00Z&to=2026-03-30T03:00:00Z&perCamera=true`,
    );
    expect(body.cameraCount).toBe(2);
    // 27 h each: A up 24 h, down 1 h, unknown 2 h; B up 25 h, unknown 2 h (site offline).
    expect(body.total.durationsMs).toEqual({
      up: 49 * H,
      degraded: 0,
      down: H,
      unknown: 4 * H,
      maintenance: 0,
    });
    expect(body.cameras?.find((c) => c.cameraId === camB)?.durationsMs.up).toBe(25 * H);
  });

  it('gives a daily series on London days', async () => {
    const { body } = await uptime(
      `scope=camera&id=${camA}&window=custom&from=2026-03-28T00:00:00Z&to=2026-03-30T23:00:00Z&daily=true`,
    );
    expect(body.days?.map((d) => d.day)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(body.days?.[1]?.durationsMs).toEqual({
      up: 20 * H,
      degraded: 0,
      down: H,
      unknown: 2 * H,
      maintenance: 0,
    });
    // 30 March runs from 29 March 23:00 UTC (BST) to now, 03:00 UTC.
    expect(body.days?.[2]?.durationsMs.up).toBe(4 * H);
    // Whole days come from the daily rollup, partial ones from the intervals: each day equals a
    // report over that day alone, for one camera and for the site.
    const dayWindows: [string, string][] = [
      ['2026-03-28T00:00:00Z', '2026-03-29T00:00:00Z'],
      ['2026-03-29T00:00:00Z', '2026-03-29T23:00:00Z'],
      ['2026-03-29T23:00:00Z', '2026-03-30T23:00:00Z'],
    ];
    for (const scope of [`scope=camera&id=${camA}`, `scope=site&id=${siteId}`]) {
      const series = await uptime(
        `${scope}&window=custom&from=2026-03-27T12:00:00Z&to=2026-03-30T23:00:00Z&daily=true`,
      );
      expect(series.body.days?.map((d) => d.day)).toEqual([
        '2026-03-27',
        '2026-03-28',
        '2026-03-29',
        '2026-03-30',
      ]);
      for (const [i, [from, to]] of dayWindows.entries()) {
        const single = await uptime(`${scope}&window=custom&from=${from}&to=${to}`);
        expect(series.body.days?.[i + 1]?.durationsMs).toEqual(single.body.total.durationsMs);
      }
    }
  });

  it('counts a camera added mid-window only from when it existed', async () => {
    const { body } = await uptime(
      `scope=camera&id=${camB}&window=custom&from=2026-03-28T00:00:00Z&to=2026-03-28T23:00:00Z`,
    );
    // Created 22:00 (unknown until its first health at 22:01), up after that.
    expect(body.total.durationsMs).toEqual({
      up: 59 * 60_000,
      degraded: 0,
      down: 0,
      unknown: 60_000,
      maintenance: 0,
    });
  });

  it('splits a window at partial hours and whole days the same way as the intervals', async () => {
    const { body } = await uptime(
      `scope=camera&id=${camA}&window=custom&from=2026-03-29T01:10:00Z&to=2026-03-29T10:20:00Z`,
    );
    // 01:10-01:30 up, 01:30-02:30 down, 02:30-10:00 up, 10:00-10:20 unknown.
    expect(body.total.durationsMs).toEqual({
      up: 7.5 * H + 20 * 60_000,
      degraded: 0,
      down: H,
      unknown: 20 * 60_000,
      maintenance: 0,
    });
  });

  it('keeps rollups equal to the intervals they came from', async () => {
    const rows = await h.hub.database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT camera_id, sum(up_ms + degraded_ms + down_ms + unknown_ms + maintenance_ms) AS total
         FROM camera_state_daily WHERE camera_id = ANY($1) GROUP BY camera_id) d
       JOIN (SELECT camera_id, sum(extract(epoch FROM ended_at - started_at) * 1000) AS total
         FROM camera_state_intervals WHERE camera_id = ANY($1) AND ended_at IS NOT NULL GROUP BY camera_id) i
       USING (camera_id) WHERE d.total = i.total`,
      [[camA, camB]],
    );
    expect(rows.rows[0]?.n).toBe(2);
    // Each hourly row's running totals are the sum of that camera's buckets up to it.
    const drift = await h.hub.database.pool.query<{ camera_id: string; bucket_start: Date }>(
      `SELECT camera_id, bucket_start FROM (
         SELECT camera_id, bucket_start, cum_up_ms, cum_degraded_ms, cum_down_ms, cum_unknown_ms, cum_maintenance_ms,
           sum(up_ms) OVER w AS up, sum(degraded_ms) OVER w AS degraded, sum(down_ms) OVER w AS down,
           sum(unknown_ms) OVER w AS unknown, sum(maintenance_ms) OVER w AS maintenance
         FROM camera_state_hourly WHERE camera_id = ANY($1)
         WINDOW w AS (PARTITION BY camera_id ORDER BY bucket_start)) r
       WHERE (cum_up_ms, cum_degraded_ms, cum_down_ms, cum_unknown_ms, cum_maintenance_ms)
         IS DISTINCT FROM (up, degraded, down, unknown, maintenance)`,
      [[camA, camB]],
    );
    expect(drift.rows).toEqual([]);
    const counted = await h.hub.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM camera_state_hourly WHERE camera_id = ANY($1) AND cum_up_ms > 0',
      [[camA, camB]],
    );
    expect(counted.rows[0]?.n).toBeGreaterThan(0);
  });

  it('refuses bad windows and hides other councils', async () => {
    expect(
      (
        await uptime(
          `scope=camera&id=${camA}&window=custom&from=2026-03-30T00:00:00Z&to=2026-03-29T00:00:00Z`,
        )
      ).status,
    ).toBe(400);
    expect((await uptime('scope=site&window=24h')).status).toBe(400);
    expect((await uptime(`scope=camera&id=${camA}&window=month&month=2026-13`)).status).toBe(400);
    await h.createUser('other-officer', 'council', ['some-other-council']);
    const other = await h.login('other-officer');
    expect((await uptime(`scope=site&id=${siteId}&window=24h`, other)).status).toBe(404);
    const fleet = await uptime('scope=fleet&window=24h', other);
    expect(fleet.body.cameraCount).toBe(0);
  });

  it('summarises uptime and compliance per camera, scoped like the rest', async () => {
    const get = async (query: string, bearer = token) => {
      const response = await fetch(`${h.hub.url}/api/summary?${query}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      return { status: response.status, body: (await response.json()) as FleetSummary };
    };
    const window = 'window=custom&from=2026-03-28T00:00:00Z&to=2026-03-30T23:00:00Z';
    const summary = await get(`scope=site&id=${siteId}&${window}`);
    expect(summary.status).toBe(200);
    expect(summary.body.cameraCount).toBe(2);
    const report = await uptime(`scope=site&id=${siteId}&${window}&perCamera=true`);
    expect(summary.body.uptime).toEqual(report.body.total);
    for (const row of summary.body.cameras) {
      const expected = report.body.cameras?.find((c) => c.cameraId === row.cameraId);
      expect(row.availability).toBe(expected?.availability);
      expect(row.observed).toBe(expected?.observed);
    }
    // Compliance as the job last recorded it (or null for a camera not evaluated yet).
    const recorded = await h.hub.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM compliance_status WHERE camera_id = ANY($1)',
      [[camA, camB]],
    );
    expect(summary.body.compliance.evaluated).toBe(recorded.rows[0]?.n);
    expect(summary.body.cameras.filter((c) => c.compliance !== null)).toHaveLength(recorded.rows[0]?.n ?? -1);
    expect((await get(`scope=site&id=${siteId}&window=90d`)).body.window.kind).toBe('90d');
    expect((await get(`scope=site&id=${siteId}&window=fortnight`)).status).toBe(400);
    expect((await get(`scope=site&id=${siteId}&window=custom&from=2026-03-30T00:00:00Z`)).status).toBe(400);
    const other = await h.login('other-officer');
    expect((await get(`scope=site&id=${siteId}&window=24h`, other)).status).toBe(404);
    expect((await get('scope=fleet&window=24h', other)).body.cameras).toEqual([]);
    const anonymous = await fetch(`${h.hub.url}/api/summary?scope=fleet&window=24h`);
    expect(anonymous.status).toBe(401);
  });
});
