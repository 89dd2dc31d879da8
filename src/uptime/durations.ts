import type { CameraState } from '../schemas/camera-state.ts';

export type StateDurations = Record<CameraState, number>;

export interface StateSpan {
  state: CameraState;
  startMs: number;
  /** null for the open (current) interval: it runs until `nowMs`. */
  endMs: number | null;
}

export interface MaintenanceSpan {
  startMs: number;
  endMs: number;
}

export function emptyDurations(): StateDurations {
  return { up: 0, degraded: 0, down: 0, unknown: 0, maintenance: 0 };
}

export function addDurations(a: StateDurations, b: StateDurations): StateDurations {
  return {
    up: a.up + b.up,
    degraded: a.degraded + b.degraded,
    down: a.down + b.down,
    unknown: a.unknown + b.unknown,
    maintenance: a.maintenance + b.maintenance,
  };
}

/** Adds b into a (no allocation: report loops call this per camera). */
export function addInto(a: StateDurations, b: StateDurations): StateDurations {
  a.up += b.up;
  a.degraded += b.degraded;
  a.down += b.down;
  a.unknown += b.unknown;
  a.maintenance += b.maintenance;
  return a;
}

export function totalOf(d: StateDurations): number {
  return d.up + d.degraded + d.down + d.unknown + d.maintenance;
}

/** Merges overlapping or touching maintenance spans (overlapping windows never count twice). */
export function mergeSpans(spans: readonly MaintenanceSpan[]): MaintenanceSpan[] {
  const sorted = spans.filter((s) => s.endMs > s.startMs).sort((a, b) => a.startMs - b.startMs);
  const out: MaintenanceSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.startMs <= last.endMs) last.endMs = Math.max(last.endMs, s.endMs);
    else out.push({ ...s });
  }
  return out;
}

/**
 * Time per state inside [fromMs, toMs), with declared maintenance taking precedence over whatever
 * was observed then. Time before the camera's first interval (a camera added mid-window) is not
 * counted at all: it did not exist, so it was neither up nor unknown.
 */
export function durationsIn(
  spans: readonly StateSpan[],
  maintenance: readonly MaintenanceSpan[],
  fromMs: number,
  toMs: number,
  nowMs: number,
): StateDurations {
  const out = emptyDurations();
  const windowEnd = Math.min(toMs, nowMs);
  const merged = maintenance.length === 0 ? maintenance : mergeSpans(maintenance);
  for (const span of spans) {
    const start = Math.max(span.startMs, fromMs);
    const end = Math.min(span.endMs ?? nowMs, windowEnd);
    if (end <= start) continue;
    let covered = 0;
    for (const m of merged) {
      const a = Math.max(m.startMs, start);
      const b = Math.min(m.endMs, end);
      if (b > a) covered += b - a;
    }
    out.maintenance += covered;
    out[span.state] += end - start - covered;
  }
  return out;
}

/** Share of observed time the camera worked: (up + degraded) / (up + degraded + down); null if never observed. */
export function availability(d: StateDurations): number | null {
  const observed = d.up + d.degraded + d.down;
  return observed === 0 ? null : (d.up + d.degraded) / observed;
}

/** Share of the window (maintenance excluded) with fresh data; null for an empty window. */
export function observedShare(d: StateDurations): number | null {
  const expected = totalOf(d) - d.maintenance;
  return expected === 0 ? null : (d.up + d.degraded + d.down) / expected;
}
