import { describe, expect, it } from 'vitest';
import {
  addDays,
  londonDay,
  londonDaysBetween,
  londonDayWindow,
  londonMidnight,
  londonMonthWindow,
  londonOffsetMinutes,
} from '../../../src/uptime/london-time.ts';

const H = 3_600_000;
const utc = (s: string) => Date.parse(s);

describe('Europe/London calendar', () => {
  it.each([
    ['winter', '2026-01-15', '2026-01-15T00:00:00Z', 24],
    ['summer', '2026-07-01', '2026-06-30T23:00:00Z', 24],
    ['clocks go forward (23 h)', '2026-03-29', '2026-03-29T00:00:00Z', 23],
    ['clocks go back (25 h)', '2026-10-25', '2026-10-24T23:00:00Z', 25],
    ['day after spring change', '2026-03-30', '2026-03-29T23:00:00Z', 24],
    ['day after autumn change', '2026-10-26', '2026-10-26T00:00:00Z', 24],
  ])('%s: %s starts at %s and lasts %i h', (_name, day, start, hours) => {
    const w = londonDayWindow(day);
    expect(new Date(w.fromMs).toISOString()).toBe(new Date(start).toISOString());
    expect((w.toMs - w.fromMs) / H).toBe(hours);
  });

  it('knows the offset either side of the changes (01:00 UTC)', () => {
    expect(londonOffsetMinutes(utc('2026-03-29T00:59:59Z'))).toBe(0);
    expect(londonOffsetMinutes(utc('2026-03-29T01:00:00Z'))).toBe(60);
    expect(londonOffsetMinutes(utc('2026-10-25T00:59:59Z'))).toBe(60);
    expect(londonOffsetMinutes(utc('2026-10-25T01:00:00Z'))).toBe(0);
  });

  it('maps instants to London days', () => {
    expect(londonDay(utc('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(londonDay(utc('2026-12-31T23:30:00Z'))).toBe('2026-12-31');
    expect(londonMidnight('2027-01-01')).toBe(utc('2027-01-01T00:00:00Z'));
  });

  it('builds calendar months whose length follows the clock changes', () => {
    const march = londonMonthWindow('2026-03');
    expect((march.toMs - march.fromMs) / H).toBe(31 * 24 - 1);
    const october = londonMonthWindow('2026-10');
    expect((october.toMs - october.fromMs) / H).toBe(31 * 24 + 1);
    expect(() => londonMonthWindow('2026-13')).toThrow(/no month 13/);
  });

  it('lists the days a window touches', () => {
    expect(londonDaysBetween(utc('2026-03-28T12:00:00Z'), utc('2026-03-30T00:30:00Z'))).toEqual([
      '2026-03-28',
      '2026-03-29',
      '2026-03-30',
    ]);
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(() => londonDayWindow('28/03/2026')).toThrow(/not a YYYY-MM-DD/);
  });
});
