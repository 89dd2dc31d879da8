import { afterAll, describe, expect, it } from 'vitest';
import type { UptimeReport } from '../../../src/schemas/api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// The same camera history delivered twice through real MQTT ingest on a fake hub clock: once on
// time, once with most of it arriving late (an outbox replay after the hub had already marked the
// camera unknown and seen it come back). Uptime over the window must come out the same, to the
// millisecond, and match the hand-computed figures; the rollups' running totals must still add up.

const S = 1000;
const M = 60 * S;
const T0 = Date.parse('2026-06-01T10:00:00Z');
const STALE = 60 * S;

/** Every 10 s for 20 min: up, except down from 6 min to 9 min. */
const history = Array.from({ length: 120 }, (_, i) => i * 10 * S).map((t) => ({
  t,
  state: t >= 6 * M && t < 9 * M ? ('down' as const) : ('up' as const),
}));

interface Run {
  h: HubHarness;
  site: SitePublisher;
  camera: string;
  report: UptimeReport;
  totalsAddUp: boolean;
}

async function run(mode: 'ontime' | 'late' | 'gap'): Promise<Run> {
  const late = mode !== 'ontime';
  let clock = T0 - M;
  const h = await startHub({ CCTV_HUB__state__staleAfterMs: String(STALE) }, { now: () => clock });
  const siteId = uniqueId(mode);
  const camera = `${siteId}-cam`;
  const council = uniqueId('council');
  await h.registerSite(siteId, council, { cameraIds: [camera] });
  const site = new SitePublisher(siteId, h.hub.mqttUrl);
  await site.connect(false);
  let sent = h.hub.pipeline.stats.received;
  const settle = async () => {
    for (let i = 0; i < 400 && h.hub.pipeline.stats.received < sent; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
  };
  const publish = async (p: Promise<unknown>) => {
    await p;
    sent++;
  };
  const sample = async (t: number, state: 'up' | 'down') =>
    publish(
      site.publish(
        'health',
        health(camera, state, state === 'down' ? [{ code: 'unreachable', message: 'no answer' }] : []),
        camera,
        new Date(T0 + t),
      ),
    );
  /**
   * Moves the hub clock on past the camera's stale time and waits for the sweep to mark it unknown.
   * The sweep judges staleness by the clock only once the hub has been quiet and its event loop has
   * run freely for a second (a loaded machine may take longer than that to give it one).
   */
  const advanceUntilStale = async (t: number) => {
    clock = T0 + t;
    for (let i = 0; i < 300 && h.hub.fleet.cameras.get(camera)?.state !== 'unknown'; i++)
      await new Promise((r) => setTimeout(r, 100));
    await h.hub.pipeline.idle();
    expect(h.hub.fleet.cameras.get(camera)?.state).toBe('unknown');
  };

  // Said on the hub's (fake) clock: a statement dated ahead of it would be refused.
  await publish(site.publish('inventory', inventory(council, [camera]), undefined, new Date(clock)));
  await publish(site.publish('siteState', { state: 'online' }, undefined, new Date(clock)));
  await settle();
  const cutAt = late ? 3 * M : 20 * M;
  for (const s of history.filter((x) => x.t < cutAt)) {
    clock = T0 + s.t;
    await sample(s.t, s.state);
    await settle();
  }
  await advanceUntilStale(25 * M);
  await sample(25 * M, 'up');
  await settle();
  if (late) {
    // The replay: everything from 3 min on, with its original observedAt, after the camera came back.
    // In `gap` mode the site's outbox was full and dropped the samples from 10:00 to 13:50 min,
    // which it says in a gap message after the rest.
    const dropped = (t: number) => mode === 'gap' && t >= 10 * M && t <= 13 * M + 50 * S;
    for (const s of history.filter((x) => x.t >= cutAt && !dropped(x.t))) await sample(s.t, s.state);
    if (mode === 'gap')
      await publish(
        site.publish(
          'gap',
          {
            cameraId: camera,
            from: new Date(T0 + 10 * M).toISOString(),
            to: new Date(T0 + 13 * M + 50 * S).toISOString(),
            dropped: { health: 24, stream: 0 },
          },
          camera,
          new Date(clock),
        ),
      );
    await settle();
  }
  // Fresh samples to the end of the window (a whole hour of it is read from the rollups).
  for (let t = 25 * M + 50 * S; t <= 70 * M; t += 50 * S) {
    clock = T0 + t;
    await sample(t, 'up');
    await settle();
  }
  clock = T0 + 70 * M;
  await h.createUser('op', 'operator');
  const token = await h.login('op');
  const from = new Date(T0).toISOString();
  const to = new Date(T0 + 70 * M).toISOString();
  const response = await fetch(
    `${h.hub.url}/api/uptime?scope=camera&id=${camera}&window=custom&from=${from}&to=${to}`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  expect(response.status).toBe(200);
  const report = (await response.json()) as UptimeReport;
  const sums = await h.hub.database.pool.query<{ ok: boolean }>(
    `SELECT bool_and(h.cum_up_ms = s.up AND h.cum_down_ms = s.down AND h.cum_unknown_ms = s.unknown) AS ok
       FROM camera_state_hourly h
       JOIN LATERAL (SELECT sum(up_ms) AS up, sum(down_ms) AS down, sum(unknown_ms) AS unknown
                       FROM camera_state_hourly x WHERE x.camera_id = h.camera_id AND x.bucket_start <= h.bucket_start) s ON true
      WHERE h.camera_id = $1`,
    [camera],
  );
  return { h, site, camera, report, totalsAddUp: sums.rows[0]?.ok === true };
}

describe('late data merged into history', () => {
  const runs: Run[] = [];

  afterAll(async () => {
    for (const r of runs) {
      await r.site.close();
      await r.h.stop();
    }
  });

  it('gives the same uptime as the same history delivered on time', async () => {
    runs.push(await run('ontime'));
    runs.push(await run('late'));
    const [onTime, late] = runs as [Run, Run];
    // By hand: up 0-6 min and 9 min-20:50 (the last sample at 19:50 holds for the 60 s stale time),
    // down 6-9 min, unknown 20:50-25:00, then up from 25:00 to the end of the window at 70 min.
    const expected = {
      up: 6 * M + (11 * M + 50 * S) + 45 * M,
      degraded: 0,
      down: 3 * M,
      unknown: 4 * M + 10 * S,
      maintenance: 0,
    };
    expect(onTime.report.total.durationsMs).toEqual(expected);
    expect(late.report.total.durationsMs).toEqual(expected);
    expect(late.report.total.availability).toBe(onTime.report.total.availability);
    expect(onTime.totalsAddUp).toBe(true);
    expect(late.totalsAddUp).toBe(true);
    // The stored intervals are the same sequence of states too.
    const intervals = async (r: Run) =>
      (
        await r.h.hub.database.pool.query<{ state: string; s: number; e: number | null }>(
          `SELECT state, (extract(epoch FROM started_at) * 1000)::float8 AS s, (extract(epoch FROM ended_at) * 1000)::float8 AS e
             FROM camera_state_intervals WHERE camera_id = $1 AND started_at >= $2 ORDER BY started_at`,
          [r.camera, new Date(T0)],
        )
      ).rows.map((row) => `${row.state} ${(row.s - T0) / S}-${row.e === null ? 'open' : (row.e - T0) / S}`);
    expect(await intervals(late)).toEqual(await intervals(onTime));

    // The same replay with a range the site's outbox dropped: unknown from the first dropped sample
    // (10:00) to the first kept one after it (14:00), not up.
    const gap = await run('gap');
    runs.push(gap);
    expect(gap.report.total.durationsMs).toEqual({
      ...expected,
      up: expected.up - 4 * M,
      unknown: expected.unknown + 4 * M,
    });
    expect(gap.totalsAddUp).toBe(true);
    expect(await intervals(gap)).toContain('unknown 600-840');
  }, 300_000);
});
