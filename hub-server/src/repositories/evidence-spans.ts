import type pg from 'pg';
import { emptyDurations, type StateDurations } from '../../../src/uptime/durations.ts';
import type { Scope } from './fleet-repository.ts';
import type { UptimeRepository } from './uptime-repository.ts';

/**
 * When a camera counts in a scope's evidence: while its site was assigned to the council (or hub)
 * in question (site_assignments: a move never rewrites a past month), and while the camera itself
 * was counted (from its approval until its retirement; pending and rejected cameras never count).
 * One row per span; a camera whose site left a council and came back has two.
 */
export interface CountedSpan {
  cameraId: string;
  fromMs: number;
  toMs: number;
}

export type EvidenceScopeKind = 'fleet' | 'hub' | 'council' | 'site' | 'camera';

export async function countedSpans(
  pool: pg.Pool,
  kind: EvidenceScopeKind,
  id: string | null,
  scope: Scope,
  fromMs: number,
  toMs: number,
): Promise<CountedSpan[]> {
  const column = { fleet: null, hub: 'a.hub_id', council: 'a.council_id', site: 'c.site_id', camera: 'c.id' }[
    kind
  ];
  const result = await pool.query<{ id: string; from_ms: number; to_ms: number }>(
    `SELECT c.id,
            extract(epoch FROM GREATEST($1::timestamptz, a.valid_from, c.counted_from)) * 1000 AS from_ms,
            extract(epoch FROM LEAST($2::timestamptz, COALESCE(a.valid_to, 'infinity'), COALESCE(c.counted_to, 'infinity'))) * 1000 AS to_ms
       FROM cameras c JOIN site_assignments a ON a.site_id = c.site_id
      WHERE c.active AND c.counted_from IS NOT NULL
        AND GREATEST($1::timestamptz, a.valid_from, c.counted_from)
          < LEAST($2::timestamptz, COALESCE(a.valid_to, 'infinity'), COALESCE(c.counted_to, 'infinity'))
        AND ($3::text[] IS NULL OR a.council_id = ANY($3::text[]))
        ${column ? `AND ${column} = $4` : ''}
      ORDER BY c.id, from_ms`,
    column ? [new Date(fromMs), new Date(toMs), scope, id] : [new Date(fromMs), new Date(toMs), scope],
  );
  return result.rows.map((r) => ({
    cameraId: r.id,
    fromMs: Math.round(Number(r.from_ms)),
    toMs: Math.round(Number(r.to_ms)),
  }));
}

/** Each camera's durations over its counted spans (summed when it has several). */
export async function durationsOver(
  uptime: UptimeRepository,
  spans: readonly CountedSpan[],
  nowMs: number,
): Promise<Map<string, StateDurations>> {
  const groups = new Map<string, { fromMs: number; toMs: number; ids: string[] }>();
  for (const s of spans) {
    const key = `${s.fromMs}:${s.toMs}`;
    const group = groups.get(key) ?? { fromMs: s.fromMs, toMs: s.toMs, ids: [] };
    group.ids.push(s.cameraId);
    groups.set(key, group);
  }
  const out = new Map<string, StateDurations>();
  for (const s of spans) out.set(s.cameraId, emptyDurations());
  for (const group of groups.values()) {
    const part = await uptime.durations(group.ids, group.fromMs, group.toMs, nowMs);
    for (const [cameraId, d] of part) {
      const sum = out.get(cameraId) ?? emptyDurations();
      for (const key of Object.keys(d) as (keyof StateDurations)[]) sum[key] += d[key];
      out.set(cameraId, sum);
    }
  }
  return out;
}

/**
 * Each camera's durations over its counted spans in a scope and window: the one way camera time is
 * counted for evidence. The uptime API, the council reports and the compliance rules all use it, so
 * the same camera and window give the same availability everywhere.
 */
export async function countedDurations(
  pool: pg.Pool,
  uptime: UptimeRepository,
  kind: EvidenceScopeKind,
  id: string | null,
  scope: Scope,
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<{ spans: CountedSpan[]; durations: Map<string, StateDurations> }> {
  const spans = await countedSpans(pool, kind, id, scope, fromMs, toMs);
  return { spans, durations: await durationsOver(uptime, spans, nowMs) };
}
