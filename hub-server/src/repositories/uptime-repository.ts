import type pg from 'pg';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import {
  addDurations,
  addInto,
  durationsIn,
  emptyDurations,
  type StateDurations,
  type StateSpan,
} from '../../../src/uptime/durations.ts';
import { londonDaysBetween, londonDayWindow } from '../../../src/uptime/london-time.ts';
import { durationsFromRollups, planHours, type RollupReader } from '../../../src/uptime/rollups.ts';
import { TimeSlice } from '../time-slice.ts';
import type { MaintenanceRepository } from './maintenance-repository.ts';

interface SumRow {
  camera_id: string;
  up: number;
  degraded: number;
  down: number;
  unknown: number;
  maintenance: number;
}

interface CameraRow extends SumRow {
  open_state: CameraState | null;
  open_started_ms: number | null;
}

interface SpanRow {
  camera_id: string;
  state: CameraState;
  started_at: Date;
  ended_at: Date | null;
}

const STATE_COLUMNS = ['up', 'degraded', 'down', 'unknown', 'maintenance'] as const;

/** Longest stretch of per-camera arithmetic in durations() between turns of the event loop. */
const DURATIONS_SLICE_MS = 4;

/**
 * The running totals of a camera's latest hourly bucket starting before the given instant. Skipped
 * (one-time filter) when the camera's latest bucket of all is before it: camera_state_totals has it.
 */
const RUNNING_TOTAL_BEFORE = (instant: string) =>
  `SELECT ${STATE_COLUMNS.map((k) => `cum_${k}_ms`).join(', ')} FROM camera_state_hourly h
   WHERE t.bucket_start >= ${instant} AND h.camera_id = c.camera_id AND h.bucket_start < ${instant}
   ORDER BY h.bucket_start DESC LIMIT 1`;

function toDurations(r: Omit<SumRow, 'camera_id'>): StateDurations {
  return { up: r.up, degraded: r.degraded, down: r.down, unknown: r.unknown, maintenance: r.maintenance };
}

/**
 * Uptime from rollups: whole hours from the hourly rollup's running totals (two rows per camera
 * whatever the window's length), the partial hours at the window's edges and each camera's open
 * interval from camera_state_intervals. Three or four set-based queries whatever the number of
 * cameras or the length of the window.
 */
export class UptimeRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly maintenance: MaintenanceRepository,
  ) {}

  /** Summed durations per Europe/London day of the window: see {@link dailyTotals}. */
  daily(cameraIds: readonly string[], fromMs: number, toMs: number, nowMs: number): Promise<DayDurations[]> {
    return dailyTotals(this, this.pool, this.maintenance, cameraIds, fromMs, toMs, nowMs);
  }

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
    const plan = planHours(fromMs, end);
    const ids = [...cameraIds];

    // One row per camera: its running totals at both ends of the whole hours (two index probes, or
    // none when camera_state_totals already answers) and its open interval (partial unique index).
    // Without whole hours both ends are the window start, so the sums are zero.
    const wholeFrom = new Date(plan.hours[0]?.fromMs ?? fromMs);
    const wholeTo = new Date(plan.hours[0]?.toMs ?? fromMs);
    const mainQuery = this.pool.query<CameraRow>(
      `SELECT c.camera_id, o.state AS open_state, round(extract(epoch FROM o.started_at) * 1000)::float8 AS open_started_ms, ${STATE_COLUMNS.map(
        (k) =>
          `(coalesce(CASE WHEN t.bucket_start < $3 THEN t.cum_${k}_ms ELSE b.cum_${k}_ms END, 0)
            - coalesce(CASE WHEN t.bucket_start < $2 THEN t.cum_${k}_ms ELSE a.cum_${k}_ms END, 0))::float8 AS ${k}`,
      ).join(', ')}
       FROM unnest($1::text[]) AS c(camera_id)
       LEFT JOIN camera_state_totals t ON t.camera_id = c.camera_id
       LEFT JOIN camera_state_intervals o ON o.camera_id = c.camera_id AND o.ended_at IS NULL
       LEFT JOIN LATERAL (${RUNNING_TOTAL_BEFORE('$2')}) a ON true
       LEFT JOIN LATERAL (${RUNNING_TOTAL_BEFORE('$3')}) b ON true`,
      [ids, wholeFrom, wholeTo],
    );
    // The closed intervals overlapping a partial-hour edge (GiST index on their time range).
    const edgeQueries = plan.edges.map((edge) =>
      this.pool.query<SpanRow>(
        `SELECT camera_id, state, started_at, ended_at FROM camera_state_intervals
         WHERE ended_at IS NOT NULL AND tstzrange(started_at, ended_at) && tstzrange($2, $3) AND camera_id = ANY($1::text[])`,
        [ids, new Date(edge.fromMs), new Date(edge.toMs)],
      ),
    );
    const maintenanceQuery = this.maintenance.spansFor(ids, fromMs, end);
    // The queries are independent: issue them together so a pooled PostgreSQL runs them in parallel.
    const [main, edgeResults, maintenance] = await Promise.all([
      mainQuery,
      Promise.all(edgeQueries),
      maintenanceQuery,
    ]);
    const spansByCamera = new Map<string, StateSpan[]>();
    for (const row of edgeResults.flatMap((r) => r.rows)) {
      const list = spansByCamera.get(row.camera_id) ?? [];
      list.push({
        state: row.state,
        startMs: row.started_at.getTime(),
        endMs: row.ended_at?.getTime() ?? null,
      });
      spansByCamera.set(row.camera_id, list);
    }

    // Declared maintenance overrides the observed state in the live parts (edges, open intervals);
    // the rollups already had it applied when their intervals closed.
    // A fleet's worth of cameras (the certification cycle, a fleet report) is a long loop: it gives
    // the event loop a turn every few milliseconds.
    const slice = new TimeSlice(DURATIONS_SLICE_MS);
    for (const row of main.rows) {
      const turn = slice.due();
      if (turn) await turn;
      const sums = toDurations(row);
      const reader: RollupReader = { sum: () => sums };
      const open: StateSpan | null =
        row.open_state && row.open_started_ms !== null
          ? { state: row.open_state, startMs: row.open_started_ms, endMs: null }
          : null;
      const spans = spansByCamera.get(row.camera_id) ?? [];
      if (open) spans.push(open);
      out.set(
        row.camera_id,
        durationsFromRollups(
          reader,
          spans,
          open,
          maintenance.get(row.camera_id) ?? [],
          fromMs,
          toMs,
          nowMs,
          plan,
        ),
      );
    }
    return out;
  }
}

export interface DayDurations {
  day: string;
  durations: StateDurations;
}

/**
 * Summed durations of a set of cameras per Europe/London day of [fromMs, toMs) (at most `maxDays`).
 * Whole days come from the daily rollup (one grouped query) plus each camera's open interval; the
 * partial first and last days from {@link UptimeRepository.durations}.
 */
async function dailyTotals(
  repo: UptimeRepository,
  pool: pg.Pool,
  maintenance: MaintenanceRepository,
  cameraIds: readonly string[],
  fromMs: number,
  toMs: number,
  nowMs: number,
  maxDays = 400,
): Promise<DayDurations[]> {
  const end = Math.min(toMs, nowMs);
  const days = londonDaysBetween(fromMs, end)
    .slice(0, maxDays)
    .map((day) => ({ day, ...londonDayWindow(day) }));
  const out = days.map((d) => ({ day: d.day, durations: emptyDurations() }));
  if (cameraIds.length === 0 || days.length === 0) return out;
  const isWhole = (d: { fromMs: number; toMs: number }) => d.fromMs >= fromMs && d.toMs <= end;
  const whole = days.filter(isWhole);
  const ids = [...cameraIds];
  const partial = days.map((d, i) => ({ d, i })).filter(({ d }) => !isWhole(d));
  const [partialResults, rollups, open, spans] = await Promise.all([
    Promise.all(
      partial.map(({ d }) => repo.durations(ids, Math.max(d.fromMs, fromMs), Math.min(d.toMs, toMs), nowMs)),
    ),
    whole.length === 0
      ? Promise.resolve({ rows: [] as (Omit<SumRow, 'camera_id'> & { bucket_ms: number })[] })
      : pool.query<Omit<SumRow, 'camera_id'> & { bucket_ms: number }>(
          `SELECT round(extract(epoch FROM bucket_start) * 1000)::float8 AS bucket_ms,
             ${STATE_COLUMNS.map((k) => `sum(${k}_ms)::float8 AS ${k}`).join(', ')}
           FROM camera_state_daily WHERE camera_id = ANY($1::text[]) AND bucket_start >= $2 AND bucket_start < $3
           GROUP BY bucket_start`,
          [ids, new Date(whole[0]?.fromMs ?? fromMs), new Date(whole[whole.length - 1]?.toMs ?? fromMs)],
        ),
    whole.length === 0
      ? Promise.resolve({ rows: [] as SpanRow[] })
      : pool.query<SpanRow>(
          `SELECT camera_id, state, started_at, ended_at FROM camera_state_intervals
           WHERE ended_at IS NULL AND camera_id = ANY($1::text[]) AND started_at < $2`,
          [ids, new Date(end)],
        ),
    whole.length === 0 ? Promise.resolve(new Map()) : maintenance.spansFor(ids, fromMs, end),
  ]);
  partial.forEach(({ i }, k) => {
    const target = out[i];
    if (target) target.durations = sumAll(partialResults[k]?.values() ?? []);
  });
  const indexByStart = new Map(days.map((d, i) => [d.fromMs, i]));
  for (const row of rollups.rows) {
    const target = out[indexByStart.get(row.bucket_ms) ?? -1];
    if (target) addInto(target.durations, toDurations(row));
  }
  // Each open interval adds its time to the whole days it overlaps (the rollups hold closed ones).
  for (const row of open.rows) {
    const span: StateSpan = { state: row.state, startMs: row.started_at.getTime(), endMs: null };
    const cameraMaintenance = spans.get(row.camera_id) ?? [];
    days.forEach((d, i) => {
      const target = out[i];
      if (!target || !isWhole(d) || d.toMs <= span.startMs) return;
      addInto(target.durations, durationsIn([span], cameraMaintenance, d.fromMs, d.toMs, nowMs));
    });
  }
  return out;
}

export function sumAll(values: Iterable<StateDurations>): StateDurations {
  let total = emptyDurations();
  for (const d of values) total = addDurations(total, d);
  return total;
}
