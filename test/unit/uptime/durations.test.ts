import { describe, expect, it } from 'vitest';
import {
  availability,
  durationsIn,
  type MaintenanceSpan,
  observedShare,
  type StateDurations,
  type StateSpan,
  totalOf,
} from '../../../src/uptime/durations.ts';
import { londonDayWindow } from '../../../src/uptime/london-time.ts';

const M = 60_000;
const H = 60 * M;
const t = (s: string) => Date.parse(`2026-${s}Z`);
const span = (state: StateSpan['state'], from: string, to: string | null): StateSpan => ({
  state,
  startMs: t(from),
  endMs: to === null ? null : t(to),
});
const d = (over: Partial<StateDurations>): StateDurations => ({
  up: 0,
  degraded: 0,
  down: 0,
  unknown: 0,
  maintenance: 0,
  ...over,
});

// Expectations are worked out by hand from the interval boundaries in each row.
const day = londonDayWindow('2026-11-24');
const rows: {
  name: string;
  spans: StateSpan[];
  maintenance: MaintenanceSpan[];
  window: { fromMs: number; toMs: number };
  nowMs: number;
  want: StateDurations;
  availability: number | null;
}[] = [
  {
    name: 'a whole day up',
    spans: [span('up', '11-20T00:00:00', null)],
    maintenance: [],
    window: day,
    nowMs: t('11-26T00:00:00'),
    want: d({ up: 24 * H }),
    availability: 1,
  },
  {
    name: 'an hour down in the day',
    spans: [
      span('up', '11-20T00:00:00', '11-24T10:00:00'),
      span('down', '11-24T10:00:00', '11-24T11:00:00'),
      span('up', '11-24T11:00:00', null),
    ],
    maintenance: [],
    window: day,
    nowMs: t('11-26T00:00:00'),
    want: d({ up: 23 * H, down: H }),
    availability: 23 / 24,
  },
  {
    name: 'site offline: unknown is excluded from availability',
    spans: [
      span('up', '11-20T00:00:00', '11-24T06:00:00'),
      span('unknown', '11-24T06:00:00', '11-24T12:00:00'),
      span('down', '11-24T12:00:00', '11-24T14:00:00'),
      span('up', '11-24T14:00:00', null),
    ],
    maintenance: [],
    window: day,
    nowMs: t('11-26T00:00:00'),
    want: d({ up: 16 * H, unknown: 6 * H, down: 2 * H }),
    availability: 16 / 18,
  },
  {
    name: 'overlapping maintenance windows count once and override the observed state',
    spans: [
      span('up', '11-20T00:00:00', '11-24T09:00:00'),
      span('down', '11-24T09:00:00', '11-24T13:00:00'),
      span('up', '11-24T13:00:00', null),
    ],
    maintenance: [
      { startMs: t('11-24T08:00:00'), endMs: t('11-24T11:00:00') },
      { startMs: t('11-24T10:00:00'), endMs: t('11-24T12:00:00') },
    ],
    window: day,
    nowMs: t('11-26T00:00:00'),
    // up 00-08 and 13-24 (19 h), down 12-13 (1 h), maintenance 08-12 merged (4 h)
    want: d({ up: 19 * H, down: H, maintenance: 4 * H }),
    availability: 19 / 20,
  },
  {
    name: 'a state change exactly at the window start belongs to the window',
    spans: [span('down', '11-23T20:00:00', '11-24T00:00:00'), span('up', '11-24T00:00:00', null)],
    maintenance: [],
    window: day,
    nowMs: t('11-26T00:00:00'),
    want: d({ up: 24 * H }),
    availability: 1,
  },
  {
    name: 'a state change exactly at the window end does not',
    spans: [span('up', '11-23T00:00:00', '11-25T00:00:00'), span('down', '11-25T00:00:00', null)],
    maintenance: [],
    window: day,
    nowMs: t('11-26T00:00:00'),
    want: d({ up: 24 * H }),
    availability: 1,
  },
  {
    name: 'a camera added mid-window only counts from when it exists',
    spans: [span('unknown', '11-24T15:00:00', '11-24T15:00:30'), span('up', '11-24T15:00:30', null)],
    maintenance: [],
    window: day,
    nowMs: t('11-26T00:00:00'),
    want: d({ unknown: 30_000, up: 9 * H - 30_000 }),
    availability: 1,
  },
  {
    name: 'the current day stops at now',
    spans: [span('up', '11-20T00:00:00', '11-24T03:00:00'), span('degraded', '11-24T03:00:00', null)],
    maintenance: [],
    window: day,
    nowMs: t('11-24T05:30:00'),
    want: d({ up: 3 * H, degraded: 2.5 * H }),
    availability: 1,
  },
  {
    name: 'spring change day: 23 hours of up',
    spans: [span('up', '03-01T00:00:00', null)],
    maintenance: [],
    window: londonDayWindow('2026-03-29'),
    nowMs: t('04-01T00:00:00'),
    want: d({ up: 23 * H }),
    availability: 1,
  },
  {
    name: 'autumn change day: 25 hours, down for the repeated 01:00-02:00 hour counted twice over',
    spans: [
      span('up', '10-01T00:00:00', '10-25T00:00:00'),
      span('down', '10-25T00:00:00', '10-25T02:00:00'),
      span('up', '10-25T02:00:00', null),
    ],
    maintenance: [],
    window: londonDayWindow('2026-10-25'),
    nowMs: t('11-01T00:00:00'),
    want: d({ up: 23 * H, down: 2 * H }),
    availability: 23 / 25,
  },
];

describe('durationsIn (hand-computed expectations)', () => {
  it.each(rows)('$name', (row) => {
    const got = durationsIn(row.spans, row.maintenance, row.window.fromMs, row.window.toMs, row.nowMs);
    expect(got).toEqual(row.want);
    expect(availability(got)).toBeCloseTo(row.availability ?? Number.NaN, 12);
  });

  it('reports nothing observed as null, not as 100%', () => {
    const got = durationsIn(
      [span('unknown', '11-24T00:00:00', null)],
      [],
      day.fromMs,
      day.toMs,
      t('11-26T00:00:00'),
    );
    expect(availability(got)).toBeNull();
    expect(observedShare(got)).toBe(0);
    expect(totalOf(got)).toBe(24 * H);
  });
});
