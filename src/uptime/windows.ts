import { addDays, londonDay, londonMidnight, londonMonthWindow } from './london-time.ts';

export type WindowKind = '24h' | '7d' | '30d' | '90d' | 'month' | 'custom';

export interface ReportWindow {
  kind: WindowKind;
  fromMs: number;
  toMs: number;
  label: string;
}

const DAY_COUNTS = { '7d': 7, '30d': 30, '90d': 90 } as const;

export class WindowError extends Error {
  readonly code = 'BAD_WINDOW';
}

/**
 * Report windows. `24h` is rolling; `7d`, `30d` and `90d` are that many Europe/London calendar days
 * ending with today (today up to now); `month` is a London calendar month (`YYYY-MM`, default the
 * current one); `custom` is any [from, to).
 */
export function resolveWindow(
  kind: WindowKind,
  nowMs: number,
  options: { month?: string; fromMs?: number; toMs?: number } = {},
): ReportWindow {
  switch (kind) {
    case '24h':
      return { kind, fromMs: nowMs - 86_400_000, toMs: nowMs, label: 'last 24 hours' };
    case '7d':
    case '30d':
    case '90d': {
      const today = londonDay(nowMs);
      const first = addDays(today, -(DAY_COUNTS[kind] - 1));
      return {
        kind,
        fromMs: londonMidnight(first),
        toMs: nowMs,
        label: `${first} to ${today} (Europe/London)`,
      };
    }
    case 'month': {
      const month = options.month ?? londonDay(nowMs).slice(0, 7);
      try {
        const w = londonMonthWindow(month);
        return { kind, fromMs: w.fromMs, toMs: w.toMs, label: `${month} (Europe/London)` };
      } catch (error) {
        throw new WindowError((error as Error).message);
      }
    }
    case 'custom': {
      const { fromMs, toMs } = options;
      if (fromMs === undefined || toMs === undefined)
        throw new WindowError('a custom window needs from and to');
      if (!(toMs > fromMs)) throw new WindowError('to must be after from');
      if (toMs - fromMs > 400 * 86_400_000) throw new WindowError('a window may span at most 400 days');
      return {
        kind,
        fromMs,
        toMs,
        label: `${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}`,
      };
    }
  }
}
