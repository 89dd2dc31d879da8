import { occurrences } from '../../../src/maintenance/occurrences.ts';
import type { CheckedPeriod, ReportMaintenanceWindow } from './report-data.ts';

export interface MaintenanceLogEntry {
  window: ReportMaintenanceWindow;
  /** Occurrences overlapping the period. */
  occurrenceCount: number;
  /** Time inside the period, occurrences clipped to it: what uptime counted as maintenance. */
  inPeriodMs: number;
}

/**
 * Windows with what they meant for this period, computed the way uptime counts maintenance (same
 * occurrence rules, a window ended early stops at `endedAt`), so the log and the table agree.
 */
export function maintenanceLog(
  windows: readonly ReportMaintenanceWindow[],
  period: CheckedPeriod,
): MaintenanceLogEntry[] {
  return [...windows]
    .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt) || a.id - b.id)
    .map((window) => {
      const limits = [window.until, window.endedAt].filter((t): t is string => t !== null).map(Date.parse);
      const spans = occurrences(
        {
          startsAtMs: Date.parse(window.startsAt),
          endsAtMs: Date.parse(window.endsAt),
          recurrence: window.recurrence,
          untilMs: limits.length > 0 ? Math.min(...limits) : null,
        },
        period.fromMs,
        period.toMs,
      );
      const inPeriodMs = spans.reduce(
        (sum, s) => sum + Math.max(0, Math.min(s.endMs, period.toMs) - Math.max(s.startMs, period.fromMs)),
        0,
      );
      return { window, occurrenceCount: spans.length, inPeriodMs };
    });
}
