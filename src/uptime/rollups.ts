import {
  addDurations,
  addInto,
  durationsIn,
  emptyDurations,
  type MaintenanceSpan,
  type StateDurations,
  type StateSpan,
} from './durations.ts';
import { floorHour, HOUR_MS, londonDay, londonDayWindow, londonMidnight } from './london-time.ts';

export type Granularity = 'hour' | 'day';

/** [startMs, endMs) of the hour (UTC) or London day containing the instant. */
export function bucketOf(ms: number, granularity: Granularity): { startMs: number; endMs: number } {
  if (granularity === 'hour') {
    const start = floorHour(ms);
    return { startMs: start, endMs: start + HOUR_MS };
  }
  const w = londonDayWindow(londonDay(ms));
  return { startMs: w.fromMs, endMs: w.toMs };
}

export interface BucketShare {
  bucketStartMs: number;
  durations: StateDurations;
}

/**
 * Splits a closed interval into per-bucket durations (maintenance applied), for adding to the
 * hourly or daily rollup when the interval closes. Rollups hold closed intervals only; the open
 * interval of each camera is always read from the interval table.
 */
export function splitClosedSpan(
  span: StateSpan & { endMs: number },
  maintenance: readonly MaintenanceSpan[],
  granularity: Granularity,
): BucketShare[] {
  const out: BucketShare[] = [];
  let cursor = span.startMs;
  while (cursor < span.endMs) {
    const bucket = bucketOf(cursor, granularity);
    const end = Math.min(bucket.endMs, span.endMs);
    out.push({
      bucketStartMs: bucket.startMs,
      durations: durationsIn([span], maintenance, cursor, end, Number.POSITIVE_INFINITY),
    });
    cursor = end;
  }
  return out;
}

export interface RollupReader {
  /** Sum of closed-interval durations in whole buckets starting in [fromMs, toMs). */
  sum(granularity: Granularity, fromMs: number, toMs: number): StateDurations;
}

export interface WindowPlan {
  /** Whole London days read from the daily rollup. */
  days: { fromMs: number; toMs: number } | null;
  /** Whole hours read from the hourly rollup (before and after the whole days). */
  hours: { fromMs: number; toMs: number }[];
  /** Partial hours at the edges, read from the intervals themselves. */
  edges: { fromMs: number; toMs: number }[];
}

/** Splits [fromMs, toMs) into whole London days, whole hours and partial-hour edges. */
export function planWindow(fromMs: number, toMs: number): WindowPlan {
  const plan: WindowPlan = { days: null, hours: [], edges: [] };
  if (toMs <= fromMs) return plan;
  const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const lastHour = floorHour(toMs);
  if (firstHour >= lastHour) {
    plan.edges.push({ fromMs, toMs });
    return plan;
  }
  if (fromMs < firstHour) plan.edges.push({ fromMs, toMs: firstHour });
  if (lastHour < toMs) plan.edges.push({ fromMs: lastHour, toMs });
  // Whole days: from the first London midnight at or after firstHour to the last at or before lastHour.
  const firstDayStart =
    bucketOf(firstHour, 'day').startMs === firstHour ? firstHour : bucketOf(firstHour, 'day').endMs;
  const lastDayEnd =
    londonMidnight(londonDay(lastHour)) === lastHour ? lastHour : bucketOf(lastHour, 'day').startMs;
  if (firstDayStart < lastDayEnd) {
    plan.days = { fromMs: firstDayStart, toMs: lastDayEnd };
    if (firstHour < firstDayStart) plan.hours.push({ fromMs: firstHour, toMs: firstDayStart });
    if (lastDayEnd < lastHour) plan.hours.push({ fromMs: lastDayEnd, toMs: lastHour });
  } else {
    plan.hours.push({ fromMs: firstHour, toMs: lastHour });
  }
  return plan;
}

/**
 * Splits [fromMs, toMs) into one range of whole hours and the partial-hour edges. With running
 * totals in the hourly rollup the whole hours cost the same however many there are, so there is no
 * need to go through days (London midnights are always whole UTC hours).
 */
export function planHours(fromMs: number, toMs: number): WindowPlan {
  const plan: WindowPlan = { days: null, hours: [], edges: [] };
  if (toMs <= fromMs) return plan;
  const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const lastHour = floorHour(toMs);
  if (firstHour >= lastHour) {
    plan.edges.push({ fromMs, toMs });
    return plan;
  }
  if (fromMs < firstHour) plan.edges.push({ fromMs, toMs: firstHour });
  plan.hours.push({ fromMs: firstHour, toMs: lastHour });
  if (lastHour < toMs) plan.edges.push({ fromMs: lastHour, toMs });
  return plan;
}

/**
 * Durations over a window from rollups: whole days and hours from the rollups (closed intervals)
 * plus the open interval, partial hours from the intervals. Equals durationsIn over all intervals.
 */
export function durationsFromRollups(
  rollups: RollupReader,
  edgeSpans: readonly StateSpan[],
  openSpan: StateSpan | null,
  maintenance: readonly MaintenanceSpan[],
  fromMs: number,
  toMs: number,
  nowMs: number,
  /** The same for every camera of a report: compute once (it needs London calendar look-ups). */
  plan: WindowPlan = planWindow(fromMs, Math.min(toMs, nowMs)),
): StateDurations {
  const total = emptyDurations();
  if (plan.days) addWhole(total, rollups, openSpan, maintenance, 'day', plan.days, nowMs);
  for (const h of plan.hours) addWhole(total, rollups, openSpan, maintenance, 'hour', h, nowMs);
  for (const e of plan.edges) addInto(total, durationsIn(edgeSpans, maintenance, e.fromMs, e.toMs, nowMs));
  return total;
}

/** Whole buckets from the rollups, plus the open interval's time in them. */
function addWhole(
  total: StateDurations,
  rollups: RollupReader,
  openSpan: StateSpan | null,
  maintenance: readonly MaintenanceSpan[],
  g: Granularity,
  range: { fromMs: number; toMs: number },
  nowMs: number,
): void {
  addInto(total, rollups.sum(g, range.fromMs, range.toMs));
  if (openSpan) addInto(total, durationsIn([openSpan], maintenance, range.fromMs, range.toMs, nowMs));
}

/** In-memory rollups (tests and benchmarks; the hub keeps the same buckets in SQL). */
export class MemoryRollups implements RollupReader {
  private readonly buckets: Record<Granularity, Map<number, StateDurations>> = {
    hour: new Map(),
    day: new Map(),
  };

  addClosed(span: StateSpan & { endMs: number }, maintenance: readonly MaintenanceSpan[]): void {
    for (const g of ['hour', 'day'] as const) {
      for (const share of splitClosedSpan(span, maintenance, g)) {
        const prior = this.buckets[g].get(share.bucketStartMs) ?? emptyDurations();
        this.buckets[g].set(share.bucketStartMs, addDurations(prior, share.durations));
      }
    }
  }

  sum(granularity: Granularity, fromMs: number, toMs: number): StateDurations {
    let total = emptyDurations();
    for (const [start, d] of this.buckets[granularity])
      if (start >= fromMs && start < toMs) total = addDurations(total, d);
    return total;
  }
}
