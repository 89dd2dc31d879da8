import type { Recurrence } from '../schemas/maintenance.ts';
import type { MaintenanceSpan } from '../uptime/durations.ts';
import { londonOffsetMinutes } from '../uptime/london-time.ts';

export interface MaintenanceDefinition {
  /** First occurrence, as UTC instants; recurring windows repeat its London wall-clock start. */
  startsAtMs: number;
  endsAtMs: number;
  recurrence: Recurrence;
  /** No occurrence starts at or after this; an occurrence in progress is cut here. */
  untilMs: number | null;
}

interface Wall {
  y: number;
  m: number; // 1-12
  d: number;
  minutes: number; // minutes after local midnight
}

function toWall(utcMs: number): Wall {
  const local = new Date(utcMs + londonOffsetMinutes(utcMs) * 60_000);
  return {
    y: local.getUTCFullYear(),
    m: local.getUTCMonth() + 1,
    d: local.getUTCDate(),
    minutes:
      local.getUTCHours() * 60 +
      local.getUTCMinutes() +
      local.getUTCSeconds() / 60 +
      local.getUTCMilliseconds() / 60_000,
  };
}

/**
 * London wall-clock time to UTC. An ambiguous time (the repeated hour in October) maps to its first
 * occurrence; a time that does not exist (the skipped hour in March) moves forward by the gap.
 */
export function londonWallToUtc(y: number, m: number, d: number, minutes: number): number {
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000;
  const valid = [60, 0]
    .map((offset) => wall - offset * 60_000)
    .filter((utc) => londonOffsetMinutes(utc) * 60_000 === wall - utc);
  if (valid.length > 0) return Math.min(...valid);
  return wall; // inside the spring gap: read as GMT, i.e. one hour later in BST
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Occurrences of a window overlapping [fromMs, toMs), clipped to `until`. Weekly windows keep the
 * same London weekday and time across the clock changes; monthly windows keep the day of month and
 * skip months without it (no 31st in June).
 */
export function occurrences(
  def: MaintenanceDefinition,
  fromMs: number,
  toMs: number,
  limit = 10_000,
): MaintenanceSpan[] {
  const lengthMs = def.endsAtMs - def.startsAtMs;
  if (lengthMs <= 0 || toMs <= fromMs) return [];
  const clip = (s: MaintenanceSpan): MaintenanceSpan | null => {
    const end = def.untilMs === null ? s.endMs : Math.min(s.endMs, def.untilMs);
    return end > s.startMs ? { startMs: s.startMs, endMs: end } : null;
  };
  if (def.recurrence === 'none') {
    const one = clip({ startMs: def.startsAtMs, endMs: def.endsAtMs });
    return one && one.startMs < toMs && one.endMs > fromMs ? [one] : [];
  }
  const first = toWall(def.startsAtMs);
  const out: MaintenanceSpan[] = [];
  for (let k = 0; out.length < limit; k++) {
    let start: number;
    if (def.recurrence === 'weekly') {
      const day = new Date(Date.UTC(first.y, first.m - 1, first.d + 7 * k));
      start = londonWallToUtc(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), first.minutes);
    } else {
      const monthIndex = first.m - 1 + k;
      const y = first.y + Math.floor(monthIndex / 12);
      const m = (monthIndex % 12) + 1;
      if (first.d > daysInMonth(y, m)) continue;
      start = londonWallToUtc(y, m, first.d, first.minutes);
    }
    if (start >= toMs || (def.untilMs !== null && start >= def.untilMs)) break;
    if (start + lengthMs <= fromMs) continue;
    const span = clip({ startMs: start, endMs: start + lengthMs });
    if (span) out.push(span);
  }
  return out;
}
