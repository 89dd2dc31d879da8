import type pg from 'pg';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import {
  addDurations,
  emptyDurations,
  type StateDurations,
  type StateSpan,
} from '../../../src/uptime/durations.ts';
import {
  durationsFromRollups,
  type Granularity,
  planWindow,
  type RollupReader,
} from '../../../src/uptime/rollups.ts';
import type { MaintenanceRepository } from './maintenance-repository.ts';

interface SumRow {
  camera_id: string;
  up: number;
  degraded: number;
  down: number;
  unknown: number;
  maintenance: number;
}

interface SpanRow {
  camera_id: string;
  state: CameraState;
  started_at: Date;
  ended_at: Date | null;
}

const TABLES: Record<Granularity, string> = { hour: 'camera_state_hourly', day: 'camera_state_daily' };

function toDurations(r: SumRow): StateDurations {
  return { up: r.up, degraded: r.degraded, down: r.down, unknown: r.unknown, maintenance: r.maintenance };
}

/**
 * Uptime from rollups: whole London days and whole hours from the rollup tables, the partial hours
 * at the window's edges and each camera's open interval from camera_state_intervals. A handful of
 * set-based queries whatever the number of cameras or the length of the window.
 */
export class UptimeRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly maintenance: MaintenanceRepository,
  ) {}

  async durations(
    cameraIds: readonly string[],
    fromMs: number,
    toMs: number,
    nowMs: number,
  ): Promise<Map<string, StateDurations>> {
    const out = new Map<string, StateDurations>();
    for (const id of cameraIds) out.set(id, emptyDurations());
    if (cameraIds.length === 0) return out;
    const end = Math.min(toMs, nowMs);
    const plan = planWindow(fromMs, end);
    const ids = [...cameraIds];

    const sums = new Map<string, StateDurations>();
    const ranges: { g: Granularity; fromMs: number; toMs: number }[] = [
      ...(plan.days ? [{ g: 'day' as const, ...plan.days }] : []),
      ...plan.hours.map((h) => ({ g: 'hour' as const, ...h })),
    ];
    // The queries are independent: issue them together so a pooled PostgreSQL runs them in parallel.
    const sumQueries = ranges.map((range) =>
      this.pool
        .query<SumRow>(
          `SELECT camera_id, sum(up_ms)::float8 AS up, sum(degraded_ms)::float8 AS degraded, sum(down_ms)::float8 AS down,
             sum(unknown_ms)::float8 AS unknown, sum(maintenance_ms)::float8 AS maintenance
           FROM ${TABLES[range.g]} WHERE camera_id = ANY($1::text[]) AND bucket_start >= $2 AND bucket_start < $3
           GROUP BY camera_id`,
          [ids, new Date(range.fromMs), new Date(range.toMs)],
        )
        .then((result) => ({ range, rows: result.rows })),
    );
    // Intervals needed directly: every open interval (partial index on ended_at IS NULL) and the
    // closed ones overlapping a partial-hour edge (GiST index on their time range).
    const spanQueries = [
      this.pool.query<SpanRow>(
        `SELECT camera_id, state, started_at, ended_at FROM camera_state_intervals
         WHERE ended_at IS NULL AND camera_id = ANY($1::text[])`,
        [ids],
      ),
      ...plan.edges.map((edge) =>
        this.pool.query<SpanRow>(
          `SELECT camera_id, state, started_at, ended_at FROM camera_state_intervals
           WHERE ended_at IS NOT NULL AND tstzrange(started_at, ended_at) && tstzrange($2, $3) AND camera_id = ANY($1::text[])`,
          [ids, new Date(edge.fromMs), new Date(edge.toMs)],
        ),
      ),
    ];
    const maintenanceQuery = this.maintenance.spansFor(ids, fromMs, end);
    const [sumResults, spanResults, maintenance] = await Promise.all([
      Promise.all(sumQueries),
      Promise.all(spanQueries),
      maintenanceQuery,
    ]);
    for (const { range, rows } of sumResults) {
      for (const row of rows) sums.set(`${range.g}|${range.fromMs}|${row.camera_id}`, toDurations(row));
    }
    const spans = { rows: spanResults.flatMap((r) => r.rows) };
    const spansByCamera = new Map<string, StateSpan[]>();
    for (const row of spans.rows) {
      const list = spansByCamera.get(row.camera_id) ?? [];
      list.push({
        state: row.state,
        startMs: row.started_at.getTime(),
        endMs: row.ended_at ? row.ended_at.getTime() : null,
      });
      spansByCamera.set(row.camera_id, list);
    }

    // Declared maintenance overrides the observed state in the live parts (edges, open intervals);
    // the rollups already had it applied when their intervals closed.
    for (const id of ids) {
      const reader: RollupReader = {
        sum: (g, from) => sums.get(`${g}|${from}|${id}`) ?? emptyDurations(),
      };
      const cameraSpans = spansByCamera.get(id) ?? [];
      const open = cameraSpans.find((s) => s.endMs === null) ?? null;
      out.set(
        id,
        durationsFromRollups(reader, cameraSpans, open, maintenance.get(id) ?? [], fromMs, toMs, nowMs, plan),
      );
    }
    return out;
  }
}

export function sumAll(values: Iterable<StateDurations>): StateDurations {
  let total = emptyDurations();
  for (const d of values) total = addDurations(total, d);
  return total;
}
