import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ComplianceRepository } from '../../hub-server/src/compliance/compliance-repository.ts';
import { Database } from '../../hub-server/src/db/database.ts';
import { buildFleetSummary } from '../../hub-server/src/http/summary-routes.ts';
import { MaintenanceRepository } from '../../hub-server/src/repositories/maintenance-repository.ts';
import { UptimeRepository } from '../../hub-server/src/repositories/uptime-repository.ts';
import { addDays, londonDay, londonMidnight } from '../../src/uptime/london-time.ts';
import { resolveWindow } from '../../src/uptime/windows.ts';

export interface UptimeBenchOptions {
  baseUrl: string;
  cameras: number;
  days: number;
  runs: number;
  /** Keep the database afterwards (its URL is printed) for profiling with EXPLAIN. */
  keep?: boolean;
}

export interface Timing {
  name: string;
  medianMs: number;
  p95Ms: number;
  runs: number;
}

function stats(name: string, samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { name, medianMs: at(0.5), p95Ms: at(0.95), runs: samples.length };
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up: plans cached, pages in memory
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Uptime report times on PostgreSQL: N cameras with D days of history, built server-side with
 * generate_series (intervals every ~6 h per camera on average, hourly and London-day rollups), then
 * the same queries the API runs. Baseline: one bare aggregate over the same daily rows.
 */
export async function runUptimeBench(
  options: UptimeBenchOptions,
): Promise<{ timings: Timing[]; setupMs: number; rows: Record<string, number> }> {
  const name = `cctv_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(options.baseUrl);
  url.pathname = `/${name}`;
  const db = new Database({ url: url.toString(), dataDir: '', poolSize: 4, log: () => {} });
  const setup0 = performance.now();
  try {
    await db.start();
    const pool = db.pool;
    const nowMs = Date.now();
    const today = londonDay(nowMs);
    const firstDay = addDays(today, -options.days);
    const fromMs = londonMidnight(firstDay);
    await pool.query(`INSERT INTO hubs (id, name) VALUES ('bench-hub', 'Bench hub')`);
    await pool.query(
      `INSERT INTO councils (id, name, hub_id) VALUES ('bench-council', 'Bench council', 'bench-hub')`,
    );
    await pool.query(
      `INSERT INTO sites (id, name, council_id, hub_id, state) SELECT 'site-' || s, 'Site ' || s, 'bench-council', 'bench-hub', 'online'
       FROM generate_series(1, $1) s`,
      [Math.ceil(options.cameras / 64)],
    );
    await pool.query(
      `INSERT INTO cameras (id, site_id, name, location, bearing_deg, hfov_deg, design_distance_m, purpose, state, state_since)
       SELECT 'cam-' || c, 'site-' || (1 + (c - 1) / 64), 'Camera ' || c, ST_SetSRID(ST_MakePoint(-5 + c * 0.0001, 50), 4326), 0, 60, 20, 'observe', 'up', $2
       FROM generate_series(1, $1) c`,
      [options.cameras, new Date(fromMs)],
    );
    // Closed intervals every 6 h per camera with a realistic mix (mostly up), the last one open.
    await pool.query(
      `INSERT INTO camera_state_intervals (camera_id, state, started_at, ended_at)
       SELECT 'cam-' || c,
         (ARRAY['up','up','up','up','up','up','up','up','degraded','down','unknown'])[1 + ((c * 7 + k * 13) % 11)],
         $2::timestamptz + (k * interval '6 hours'),
         CASE WHEN k = $3 - 1 THEN NULL ELSE $2::timestamptz + ((k + 1) * interval '6 hours') END
       FROM generate_series(1, $1) c, generate_series(0, $3 - 1) k`,
      [options.cameras, new Date(fromMs), options.days * 4],
    );
    // Rollups of the closed intervals, generated directly: intervals are 6 h long and start on London
    // midnight, so each hour lies in one interval and each London day holds four of them (the
    // ingest writes the same sums incrementally). The last interval is open, so it has no rollups.
    const stateOf = (k: string) =>
      `(ARRAY['up','up','up','up','up','up','up','up','degraded','down','unknown'])[1 + ((c * 7 + (${k}) * 13) % 11)]`;
    const hours = options.days * 24 - 6;
    await pool.query(
      `INSERT INTO camera_state_hourly (camera_id, bucket_start, up_ms, degraded_ms, down_ms, unknown_ms,
         cum_up_ms, cum_degraded_ms, cum_down_ms, cum_unknown_ms)
       SELECT camera_id, bucket_start, up, degraded, down, unknown,
         sum(up) OVER w, sum(degraded) OVER w, sum(down) OVER w, sum(unknown) OVER w
       FROM (
         SELECT 'cam-' || c AS camera_id, $2::timestamptz + h * interval '1 hour' AS bucket_start,
           CASE WHEN st = 'up' THEN 3600000 ELSE 0 END AS up, CASE WHEN st = 'degraded' THEN 3600000 ELSE 0 END AS degraded,
           CASE WHEN st = 'down' THEN 3600000 ELSE 0 END AS down, CASE WHEN st = 'unknown' THEN 3600000 ELSE 0 END AS unknown
         FROM generate_series(1, $1) c, generate_series(0, $3 - 1) h, LATERAL (SELECT ${stateOf('h / 6')} AS st) x
       ) v
       WINDOW w AS (PARTITION BY camera_id ORDER BY bucket_start)`,
      [options.cameras, new Date(fromMs), hours],
    );
    await pool.query(
      `INSERT INTO camera_state_totals
       SELECT DISTINCT ON (camera_id) camera_id, bucket_start, cum_up_ms, cum_degraded_ms, cum_down_ms, cum_unknown_ms,
         cum_maintenance_ms
       FROM camera_state_hourly ORDER BY camera_id, bucket_start DESC`,
    );
    await pool.query(
      `INSERT INTO camera_state_daily (camera_id, bucket_start, up_ms, degraded_ms, down_ms, unknown_ms)
       SELECT camera_id, (date_trunc('day', bucket_start AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'),
         sum(up_ms), sum(degraded_ms), sum(down_ms), sum(unknown_ms)
       FROM camera_state_hourly GROUP BY 1, 2`,
    );
    // Latest compliance of every camera: a 14-rule result (the size the shipped codes produce), a
    // mix of statuses, and the failing rule ids kept beside it as the compliance job writes them.
    const rules = Array.from({ length: 14 }, (_, i) => ({
      ruleId: `rule-${i + 1}`,
      kind: 'clock_offset',
      status: 'pass',
      reason: 'clock offset 0.4 s is within 2 s',
      evidence: {
        values: { offsetMs: 400, observedAt: '2026-11-01T10:00:00Z' },
        thresholds: { maxOffsetMs: 2000 },
      },
    }));
    await pool.query(
      `INSERT INTO compliance_status (camera_id, pack_ref, status, result, failing, evaluated_at, status_since)
       SELECT 'cam-' || c, 'public-space-baseline@1', st, jsonb_set($2::jsonb, '{status}', to_jsonb(st)),
         CASE WHEN st IN ('fail', 'warn') THEN ARRAY['rule-3'] ELSE '{}' END, now(), now()
       FROM generate_series(1, $1) c,
         LATERAL (SELECT (ARRAY['pass','pass','pass','pass','pass','warn','fail','not_evaluable'])[1 + c % 8] AS st) x`,
      [
        options.cameras,
        JSON.stringify({
          code: 'public-space-baseline',
          version: 1,
          ref: 'public-space-baseline@1',
          status: 'pass',
          counts: { pass: 14, warn: 0, fail: 0, not_evaluable: 0 },
          evaluatedAtMs: nowMs,
          overrides: {},
          results: rules,
        }),
      ],
    );
    // A few declared windows, as a live hub has: a weekly one per council-sized group of sites and
    // some one-off site windows in the period (timing only: the generated rollups ignore them).
    await pool.query(
      `INSERT INTO maintenance_windows (scope_kind, scope_id, title, starts_at, ends_at, recurrence, created_by)
       SELECT 'site', 'site-' || s, 'Lens cleaning', $1::timestamptz + s * interval '1 day',
         $1::timestamptz + s * interval '1 day' + interval '2 hours', CASE WHEN s % 10 = 0 THEN 'weekly' ELSE 'none' END, 'bench'
       FROM generate_series(1, 40) s`,
      [new Date(fromMs)],
    );
    // As autovacuum would have done on a live hub: visibility map and statistics up to date.
    await pool.query('VACUUM (ANALYZE)');
    const rows: Record<string, number> = {};
    for (const t of ['camera_state_intervals', 'camera_state_hourly', 'camera_state_daily']) {
      rows[t] = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]?.n ?? 0;
    }
    const setupMs = performance.now() - setup0;

    const uptime = new UptimeRepository(pool, new MaintenanceRepository(pool));
    const all = (await pool.query<{ id: string }>('SELECT id FROM cameras ORDER BY id')).rows.map(
      (r) => r.id,
    );
    const windowFrom = londonMidnight(addDays(today, -90 + 1));
    const compliance = new ComplianceRepository(pool);
    const window90 = resolveWindow('90d', nowMs);
    const timings: Timing[] = [];
    timings.push(
      stats(
        'baseline: bare sum over the 90-day daily rows',
        await time(options.runs, () =>
          pool.query(
            'SELECT sum(up_ms), sum(down_ms) FROM camera_state_daily WHERE bucket_start >= $1 AND bucket_start < $2',
            [new Date(windowFrom), new Date(nowMs)],
          ),
        ),
      ),
    );
    timings.push(
      stats(
        `uptime: ${all.length} cameras, 90 days`,
        await time(options.runs, () => uptime.durations(all, windowFrom, nowMs, nowMs)),
      ),
    );
    timings.push(
      stats(
        `compliance statuses: ${all.length} cameras`,
        await time(options.runs, () => compliance.summaries(all, null)),
      ),
    );
    timings.push(
      stats(
        `summary (GET /api/summary): ${all.length} cameras, uptime over 90 days + compliance`,
        await time(options.runs, () => buildFleetSummary({ uptime, compliance }, all, null, window90, nowMs)),
      ),
    );
    timings.push(
      stats(
        'summary: 1 camera, 90 days',
        await time(options.runs * 5, () =>
          buildFleetSummary({ uptime, compliance }, [all[0] as string], null, window90, nowMs),
        ),
      ),
    );
    const window30 = resolveWindow('30d', nowMs);
    timings.push(
      stats(
        `uptime daily series: ${all.length} cameras, 30 London days`,
        await time(Math.max(3, Math.floor(options.runs / 3)), () =>
          uptime.daily(all, window30.fromMs, window30.toMs, nowMs),
        ),
      ),
    );
    timings.push(
      stats(
        'uptime: 1 camera, 90 days',
        await time(options.runs * 5, () => uptime.durations([all[0] as string], windowFrom, nowMs, nowMs)),
      ),
    );
    timings.push(
      stats(
        'uptime: 1 camera, last 24 h',
        await time(options.runs * 5, () =>
          uptime.durations([all[0] as string], nowMs - 86_400_000, nowMs, nowMs),
        ),
      ),
    );
    return { timings, setupMs, rows };
  } finally {
    await db.stop();
    if (options.keep) {
      process.stdout.write(`kept database: ${url.toString()}\n`);
    } else {
      const c = new pg.Client({ connectionString: options.baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    }
  }
}
