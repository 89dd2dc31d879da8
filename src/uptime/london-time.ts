/**
 * Europe/London civil time for report windows. UK summer time starts and ends at 01:00 UTC, so
 * London midnights always fall on whole UTC hours; a March day is 23 hours long, an October one 25.
 */
const offsetFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  timeZoneName: 'shortOffset',
});
const dateFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

const HOUR_MS = 3_600_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes London is ahead of UTC at that instant (0 in winter, 60 in summer). */
export function londonOffsetMinutes(utcMs: number): number {
  const name =
    offsetFormat.formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{1,2})(?::(\d{2}))?/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

/** The London calendar day (YYYY-MM-DD) containing the instant. */
export function londonDay(utcMs: number): string {
  return dateFormat.format(new Date(utcMs));
}

function parseDay(day: string): [number, number, number] {
  const m = DAY_PATTERN.exec(day);
  if (!m) throw new RangeError(`${JSON.stringify(day)} is not a YYYY-MM-DD date`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** UTC instant of London midnight at the start of the given day. */
export function londonMidnight(day: string): number {
  const [y, mo, d] = parseDay(day);
  const utcMidnight = Date.UTC(y, mo - 1, d);
  // The offset at local midnight is the one in force an hour before UTC midnight at most; both
  // candidates are tried because the offset can differ either side of the instant being found.
  for (const guessOffset of [0, 60]) {
    const candidate = utcMidnight - guessOffset * 60_000;
    if (londonOffsetMinutes(candidate) === guessOffset) return candidate;
  }
  return utcMidnight;
}

export function addDays(day: string, days: number): string {
  const [y, mo, d] = parseDay(day);
  return new Date(Date.UTC(y, mo - 1, d + days)).toISOString().slice(0, 10);
}

/** [start, end) of a London calendar day in UTC milliseconds (23, 24 or 25 hours long). */
export function londonDayWindow(day: string): { fromMs: number; toMs: number } {
  return { fromMs: londonMidnight(day), toMs: londonMidnight(addDays(day, 1)) };
}

/** [start, end) of a London calendar month, `YYYY-MM`. */
export function londonMonthWindow(month: string): { fromMs: number; toMs: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw new RangeError(`${JSON.stringify(month)} is not a YYYY-MM month`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) throw new RangeError(`${month} has no month ${mo}`);
  const next = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
  return { fromMs: londonMidnight(`${month}-01`), toMs: londonMidnight(`${next}-01`) };
}

/** London days overlapping [fromMs, toMs), in order. */
export function londonDaysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  if (toMs <= fromMs) return days;
  let day = londonDay(fromMs);
  while (londonMidnight(day) < toMs) {
    days.push(day);
    day = addDays(day, 1);
  }
  return days;
}

export function floorHour(utcMs: number): number {
  return Math.floor(utcMs / HOUR_MS) * HOUR_MS;
}

export { HOUR_MS };

/** Europe/London wall-clock time, as people read it: 2026-12-05 14:03 (GMT). */
export function londonClock(iso: string): string {
  const ms = Date.parse(iso);
  const offset = londonOffsetMinutes(ms);
  const local = new Date(ms + offset * 60_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)} (${offset === 0 ? 'GMT' : 'BST'})`;
}
