import type pg from 'pg';
import type { CameraState, Reason } from '../../../src/schemas/camera-state.ts';
import { type Observation, planLateMerge, type StoredInterval } from '../../../src/state/late-merge.ts';
import { MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import { addRollups } from './batch-writer.ts';

/** Late samples merged over one window at most: planning 2,000 takes a few milliseconds. */
const MAX_CLUSTER = 2000;

/**
 * A health sample older than its camera's current state (an outbox replay after an outage), or a
 * range of samples the site's outbox dropped (`untilMs` and `unknownReason` set): the camera was
 * unknown from `atMs` to its next kept sample after `untilMs`, unless real samples in that range
 * reached the hub after all (they win).
 */
export interface LateSample {
  cameraId: string;
  atMs: number;
  untilMs?: number;
  unknownReason?: Reason;
}

/**
 * Rewrites each camera's stored history over the span its late samples cover, as if they had
 * arrived on time: intervals from the samples (stored in this transaction), rollups and running
 * totals corrected by the difference. Runs in the batch's transaction, after its own writes.
 * Returns the cameras whose history changed.
 */
export async function mergeLateSamples(
  client: pg.PoolClient,
  late: readonly LateSample[],
  staleAfterMs: number,
): Promise<string[]> {
  // A dropped range that real samples fall in changes nothing (they win, see withGaps): found with
  // one index probe, so a gap over weeks of stored samples never reads them all.
  const kept: LateSample[] = [];
  for (const s of late) {
    if (s.untilMs !== undefined && s.unknownReason) {
      const found = await client.query(
        'SELECT 1 FROM health_samples WHERE camera_id = $1 AND observed_at >= $2 AND observed_at <= $3 LIMIT 1',
        [s.cameraId, new Date(s.atMs), new Date(s.untilMs)],
      );
      if (found.rowCount === 1) continue;
    }
    kept.push(s);
  }
  const byCamera = new Map<
    string,
    { fromMs: number; lastMs: number; gaps: { fromMs: number; toMs: number; reason: Reason }[] }[]
  >();
  // Per camera, clusters of late samples: a new one after a pause longer than staleAfterMs (nothing
  // carries across it) or after MAX_CLUSTER samples. Each cluster is merged over its own window, up
  // to the next stored sample, so one merge reads and plans a bounded slice of history and the
  // event loop gets a turn between them.
  const sorted = [...kept].sort((a, b) => a.cameraId.localeCompare(b.cameraId) || a.atMs - b.atMs);
  let count = 0;
  for (const s of sorted) {
    const clusters = byCamera.get(s.cameraId) ?? [];
    byCamera.set(s.cameraId, clusters);
    const lastMs = s.untilMs ?? s.atMs;
    const current = clusters.at(-1);
    const gap = s.unknownReason ? [{ fromMs: s.atMs, toMs: lastMs, reason: s.unknownReason }] : [];
    if (!current || s.atMs > current.lastMs + staleAfterMs || count >= MAX_CLUSTER) {
      clusters.push({ fromMs: s.atMs, lastMs, gaps: gap });
      count = 1;
    } else {
      current.lastMs = Math.max(current.lastMs, lastMs);
      current.gaps.push(...gap);
      count++;
    }
  }
  const staleReason: Reason = {
    code: 'stale',
    message: `no health data for over ${Math.round(staleAfterMs / 1000)} s`,
  };
  const merged = new Set<string>();
  for (const [cameraId, span] of [...byCamera].flatMap(([id, clusters]) =>
    clusters.map((c) => [id, c] as const),
  )) {
    // The window ends at the first sample after the late ones, or where the open interval starts.
    const bounds = await client.query<{ open_ms: number | null; next_ms: number | null }>(
      `SELECT (SELECT extract(epoch FROM started_at) * 1000 FROM camera_state_intervals
                WHERE camera_id = $1 AND ended_at IS NULL)::float8 AS open_ms,
              (SELECT extract(epoch FROM min(observed_at)) * 1000 FROM health_samples
                WHERE camera_id = $1 AND observed_at > $2)::float8 AS next_ms`,
      [cameraId, new Date(span.lastMs)],
    );
    const { open_ms, next_ms } = bounds.rows[0] ?? { open_ms: null, next_ms: null };
    const toMs = Math.min(open_ms ?? Number.POSITIVE_INFINITY, next_ms ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(toMs) || toMs <= span.fromMs) continue;
    const [stored, samples] = await Promise.all([
      client.query<{ id: string; state: CameraState; reasons: Reason[]; start_ms: number; end_ms: number }>(
        `SELECT id, state, reasons, (extract(epoch FROM started_at) * 1000)::float8 AS start_ms,
                (extract(epoch FROM ended_at) * 1000)::float8 AS end_ms
           FROM camera_state_intervals
          WHERE camera_id = $1 AND ended_at IS NOT NULL AND ended_at > $2 AND started_at < $3
          ORDER BY started_at`,
        [cameraId, new Date(span.fromMs), new Date(toMs)],
      ),
      client.query<{ at_ms: number; state: CameraState; reasons: Reason[] | null }>(
        `SELECT (extract(epoch FROM observed_at) * 1000)::float8 AS at_ms, state, payload->'reasons' AS reasons
           FROM health_samples WHERE camera_id = $1 AND observed_at >= $2 AND observed_at < $3`,
        [cameraId, new Date(span.fromMs), new Date(toMs)],
      ),
    ]);
    const plan = planLateMerge({
      stored: stored.rows.map(
        (r): StoredInterval => ({
          id: Number(r.id),
          state: r.state,
          reasons: r.reasons,
          startMs: Math.round(r.start_ms),
          endMs: Math.round(r.end_ms),
        }),
      ),
      observations: withGaps(
        samples.rows.map(
          (r): Observation => ({ atMs: Math.round(r.at_ms), state: r.state, reasons: r.reasons ?? [] }),
        ),
        span.gaps,
      ),
      fromMs: span.fromMs,
      toMs,
      staleAfterMs,
      staleReason,
    });
    if (plan.remove.length === 0 && plan.add.length === 0) continue;
    await client.query('DELETE FROM camera_state_intervals WHERE id = ANY($1::bigint[])', [plan.remove]);
    if (plan.insert.length > 0)
      await client.query(
        `INSERT INTO camera_state_intervals (camera_id, state, reasons, started_at, ended_at)
         SELECT $1, * FROM unnest($2::text[], $3::jsonb[], $4::timestamptz[], $5::timestamptz[])`,
        [
          cameraId,
          plan.insert.map((p) => p.state),
          plan.insert.map((p) => JSON.stringify(p.reasons)),
          plan.insert.map((p) => new Date(p.startMs)),
          plan.insert.map((p) => new Date(p.endMs)),
        ],
      );
    const windows = await new MaintenanceRepository(client).spansFor([cameraId], span.fromMs, toMs);
    const spans = (pieces: typeof plan.add) => pieces.map((p) => ({ cameraId, ...p }));
    await addRollups(client, spans(plan.subtract), windows, -1);
    await addRollups(client, spans(plan.add), windows, 1);
    merged.add(cameraId);
  }
  return [...merged];
}

/** Dropped ranges as `unknown` observations at their start, except where real samples arrived after all. */
function withGaps(
  observations: Observation[],
  gaps: readonly { fromMs: number; toMs: number; reason: Reason }[],
): Observation[] {
  const out = [...observations];
  for (const gap of gaps)
    if (!observations.some((o) => o.atMs >= gap.fromMs && o.atMs <= gap.toMs))
      out.push({ atMs: gap.fromMs, state: 'unknown', reasons: [gap.reason] });
  return out;
}
