import { londonDay } from '../../../src/uptime/london-time.ts';
import { HttpError } from './common.ts';

/*
 * Range checks on query dates that a schema pattern cannot express. Each refusal is a 400 naming
 * the fields as the schema errors do (`querystring/from`), so a client sees which value to change.
 */

const DAY_MS = 86_400_000;

/** `from` strictly before `to` (ISO times), and at most `maxDays` apart when a bound is given. */
export function checkTimeRange(q: { from?: string; to?: string }, maxDays?: number): void {
  if (q.from === undefined || q.to === undefined) return;
  const spanMs = Date.parse(q.to) - Date.parse(q.from);
  if (!(spanMs > 0))
    throw new HttpError(
      400,
      'BAD_DATE_RANGE',
      `querystring/from (${q.from}) must be before querystring/to (${q.to})`,
    );
  if (maxDays !== undefined && spanMs > maxDays * DAY_MS)
    throw new HttpError(
      400,
      'BAD_DATE_RANGE',
      `querystring/from to querystring/to may span at most ${maxDays} days`,
    );
}

/** Calendar days `from` to `to` inclusive: `from` not after `to`, at most `maxDays` days. */
export function checkDayRange(from: string, to: string, maxDays: number): void {
  if (from > to)
    throw new HttpError(
      400,
      'BAD_DATE_RANGE',
      `querystring/from (${from}) must not be after querystring/to (${to})`,
    );
  if (Date.parse(to) - Date.parse(from) >= maxDays * DAY_MS)
    throw new HttpError(
      400,
      'BAD_DATE_RANGE',
      `querystring/from to querystring/to may span at most ${maxDays} days`,
    );
}

/** A month the hub can report: not one that has not begun (London time). */
export function checkMonth(month: string | undefined, nowMs: number): void {
  const current = londonDay(nowMs).slice(0, 7);
  if (month !== undefined && month > current)
    throw new HttpError(
      400,
      'MONTH_NOT_BEGUN',
      `querystring/month ${month} has not begun: the latest month with figures is ${current}`,
    );
}
