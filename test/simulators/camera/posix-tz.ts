// POSIX TZ strings (IEEE Std 1003.1, "TZ" environment variable) are what ONVIF's tt:TimeZone/tt:TZ
// carries, e.g. 'GMT0BST,M3.5.0/1,M10.5.0'. A camera reports local time computed from it, so the
// simulator evaluates the rules itself instead of relying on the host's zoneinfo.

type TransitionDate =
  | { form: 'julian-no-leap'; day: number } // Jn: 1..365, February 29 never counted
  | { form: 'zero-based'; day: number } // n: 0..365, leap day counted
  | { form: 'month-week-day'; month: number; week: number; weekday: number }; // Mm.w.d

interface TransitionRule {
  date: TransitionDate;
  /** Seconds after local midnight (local time currently in effect); may be negative or > 24 h. */
  timeSec: number;
}

export interface PosixTimeZone {
  text: string;
  stdName: string;
  /** Local time minus UTC in standard time (POSIX writes the opposite sign). */
  stdOffsetSec: number;
  dst?: { name: string; offsetSec: number; start: TransitionRule; end: TransitionRule };
}

export class PosixTzError extends Error {
  readonly code = 'SIM_BAD_TIME_ZONE';
}

const HOUR_SEC = 3600;
const DAY_MS = 86_400_000;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  done(): boolean {
    return this.pos >= this.text.length;
  }
  fail(what: string): never {
    throw new PosixTzError(`invalid POSIX TZ '${this.text}': ${what} at offset ${this.pos}`);
  }
  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m || m.index !== this.pos) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
}

function parseName(c: Cursor): string {
  const quoted = c.match(/<[A-Za-z0-9+-]{3,}>/y);
  if (quoted) return quoted.slice(1, -1);
  return c.match(/[A-Za-z]{3,}/y) ?? c.fail('expected a zone name of 3+ letters');
}

/** Parses [+-]hh[:mm[:ss]] into seconds. */
function parseClock(c: Cursor, what: string): number {
  const text = c.match(/[+-]?\d{1,3}(:\d{1,2}(:\d{1,2})?)?/y) ?? c.fail(`expected ${what}`);
  const sign = text.startsWith('-') ? -1 : 1;
  const [h = 0, m = 0, s = 0] = text.replace(/^[+-]/, '').split(':').map(Number);
  return sign * (h * HOUR_SEC + m * 60 + s);
}

function parseRule(c: Cursor): TransitionRule {
  let date: TransitionDate;
  const mwd = c.match(/M\d{1,2}\.\d\.\d/y);
  if (mwd) {
    const [month = 0, week = 0, weekday = 0] = mwd.slice(1).split('.').map(Number);
    if (month < 1 || month > 12 || week < 1 || week > 5 || weekday > 6) c.fail(`bad rule '${mwd}'`);
    date = { form: 'month-week-day', month, week, weekday };
  } else if (c.peek() === 'J') {
    c.pos += 1;
    const day = Number(c.match(/\d{1,3}/y) ?? c.fail('expected a Julian day'));
    if (day < 1 || day > 365) c.fail('Julian day must be 1..365');
    date = { form: 'julian-no-leap', day };
  } else {
    const day = Number(c.match(/\d{1,3}/y) ?? c.fail('expected a transition rule'));
    if (day > 365) c.fail('day must be 0..365');
    date = { form: 'zero-based', day };
  }
  let timeSec = 2 * HOUR_SEC; // POSIX default transition time 02:00:00
  if (c.peek() === '/') {
    c.pos += 1;
    timeSec = parseClock(c, 'a transition time');
  }
  return { date, timeSec };
}

export function parsePosixTz(text: string): PosixTimeZone {
  const c = new Cursor(text);
  const stdName = parseName(c);
  const stdOffsetSec = 0 - parseClock(c, 'a UTC offset'); // 0 - x, not -x: no negative zero
  if (c.done()) return { text, stdName, stdOffsetSec };
  const dstName = parseName(c);
  let dstOffsetSec = stdOffsetSec + HOUR_SEC;
  if (!c.done() && c.peek() !== ',') dstOffsetSec = 0 - parseClock(c, 'a DST offset');
  // Without explicit rules glibc applies the US rules; do the same so behaviour matches real devices.
  let start: TransitionRule = {
    date: { form: 'month-week-day', month: 3, week: 2, weekday: 0 },
    timeSec: 2 * HOUR_SEC,
  };
  let end: TransitionRule = {
    date: { form: 'month-week-day', month: 11, week: 1, weekday: 0 },
    timeSec: 2 * HOUR_SEC,
  };
  if (!c.done()) {
    if (c.peek() !== ',') c.fail("expected ',' before the DST start rule");
    c.pos += 1;
    start = parseRule(c);
    if (c.peek() !== ',') c.fail("expected ',' before the DST end rule");
    c.pos += 1;
    end = parseRule(c);
  }
  if (!c.done()) c.fail('unexpected trailing text');
  return { text, stdName, stdOffsetSec, dst: { name: dstName, offsetSec: dstOffsetSec, start, end } };
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** UTC-based epoch ms of local midnight of the rule's date in `year`. */
function ruleDayMs(year: number, date: TransitionDate): number {
  const jan1 = Date.UTC(year, 0, 1);
  switch (date.form) {
    case 'julian-no-leap': {
      const skipLeapDay = isLeap(year) && date.day >= 60 ? 1 : 0;
      return jan1 + (date.day - 1 + skipLeapDay) * DAY_MS;
    }
    case 'zero-based':
      return jan1 + date.day * DAY_MS;
    case 'month-week-day': {
      const first = Date.UTC(year, date.month - 1, 1);
      const firstWeekday = new Date(first).getUTCDay();
      let dayOfMonth = 1 + ((date.weekday - firstWeekday + 7) % 7) + (date.week - 1) * 7;
      const daysInMonth = new Date(Date.UTC(year, date.month, 0)).getUTCDate();
      while (dayOfMonth > daysInMonth) dayOfMonth -= 7;
      return Date.UTC(year, date.month - 1, dayOfMonth);
    }
  }
}

export interface LocalTimeInfo {
  /** Local time minus UTC at that instant. */
  offsetSec: number;
  dst: boolean;
}

export function localTimeInfo(tz: PosixTimeZone, utcMs: number): LocalTimeInfo {
  const dst = tz.dst;
  if (!dst) return { offsetSec: tz.stdOffsetSec, dst: false };
  const year = new Date(utcMs + tz.stdOffsetSec * 1000).getUTCFullYear();
  // The start rule's time is in standard time, the end rule's in daylight time (POSIX).
  const startUtc = ruleDayMs(year, dst.start.date) + (dst.start.timeSec - tz.stdOffsetSec) * 1000;
  const endUtc = ruleDayMs(year, dst.end.date) + (dst.end.timeSec - dst.offsetSec) * 1000;
  const inDst = startUtc < endUtc ? utcMs >= startUtc && utcMs < endUtc : utcMs >= startUtc || utcMs < endUtc;
  return inDst ? { offsetSec: dst.offsetSec, dst: true } : { offsetSec: tz.stdOffsetSec, dst: false };
}
