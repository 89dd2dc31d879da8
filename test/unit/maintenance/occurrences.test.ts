import { describe, expect, it } from 'vitest';
import {
  londonWallToUtc,
  type MaintenanceDefinition,
  occurrences,
} from '../../../src/maintenance/occurrences.ts';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();
const spans = (def: MaintenanceDefinition, from: string, to: string) =>
  occurrences(def, at(from), at(to)).map((s) => [iso(s.startMs), iso(s.endMs)]);

describe('London wall clock to UTC', () => {
  it.each([
    ['winter', [2026, 1, 15, 120], '2026-01-15T02:00:00.000Z'],
    ['summer', [2026, 7, 15, 120], '2026-07-15T01:00:00.000Z'],
    ['skipped hour in March moves forward', [2026, 3, 29, 90], '2026-03-29T01:30:00.000Z'],
    ['repeated hour in October takes the first', [2026, 10, 25, 90], '2026-10-25T00:30:00.000Z'],
  ])('%s', (_name, [y, m, d, minutes], want) => {
    expect(iso(londonWallToUtc(y as number, m as number, d as number, minutes as number))).toBe(want);
  });
});

describe('maintenance occurrences', () => {
  it('gives a one-off window once, clipped by until', () => {
    const def: MaintenanceDefinition = {
      startsAtMs: at('2026-11-24T09:00:00Z'),
      endsAtMs: at('2026-11-24T11:00:00Z'),
      recurrence: 'none',
      untilMs: null,
    };
    expect(spans(def, '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z')).toEqual([
      ['2026-11-24T09:00:00.000Z', '2026-11-24T11:00:00.000Z'],
    ]);
    expect(
      spans({ ...def, untilMs: at('2026-11-24T10:00:00Z') }, '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'),
    ).toEqual([['2026-11-24T09:00:00.000Z', '2026-11-24T10:00:00.000Z']]);
    expect(spans(def, '2026-11-25T00:00:00Z', '2026-12-01T00:00:00Z')).toEqual([]);
  });

  it('keeps a weekly 02:00 London window at 02:00 London across the spring change', () => {
    // Sundays 02:00-03:00 local from 22 March 2026; on 29 March clocks jump 01:00 GMT -> 02:00 BST.
    const def: MaintenanceDefinition = {
      startsAtMs: at('2026-03-22T02:00:00Z'),
      endsAtMs: at('2026-03-22T03:00:00Z'),
      recurrence: 'weekly',
      untilMs: null,
    };
    expect(spans(def, '2026-03-20T00:00:00Z', '2026-04-06T00:00:00Z')).toEqual([
      ['2026-03-22T02:00:00.000Z', '2026-03-22T03:00:00.000Z'],
      ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'], // 02:00 BST, the first hour of summer time
      ['2026-04-05T01:00:00.000Z', '2026-04-05T02:00:00.000Z'], // 02:00 BST
    ]);
  });

  it('keeps a weekly 21:00 London window across the autumn change', () => {
    const def: MaintenanceDefinition = {
      startsAtMs: at('2026-10-17T20:00:00Z'),
      endsAtMs: at('2026-10-17T22:00:00Z'),
      recurrence: 'weekly',
      untilMs: null,
    };
    expect(spans(def, '2026-10-17T00:00:00Z', '2026-10-25T00:00:00Z').length).toBe(2);
    expect(spans(def, '2026-10-25T00:00:00Z', '2026-11-01T00:00:00Z')).toEqual([
      ['2026-10-31T21:00:00.000Z', '2026-10-31T23:00:00.000Z'],
    ]);
  });

  it('skips months without the day for monthly windows and stops at until', () => {
    const def: MaintenanceDefinition = {
      startsAtMs: at('2026-01-31T10:00:00Z'),
      endsAtMs: at('2026-01-31T12:00:00Z'),
      recurrence: 'monthly',
      untilMs: at('2026-06-01T00:00:00Z'),
    };
    expect(
      spans(def, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z').map(([from]) => from?.slice(0, 10)),
    ).toEqual(['2026-01-31', '2026-03-31', '2026-05-31']);
    // 31 March and 31 May are in summer time: 10:00 London is 09:00 UTC.
    expect(spans(def, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z')).toEqual([
      ['2026-03-31T09:00:00.000Z', '2026-03-31T11:00:00.000Z'],
    ]);
  });

  it('returns the occurrence in progress at the start of the range', () => {
    const def: MaintenanceDefinition = {
      startsAtMs: at('2026-11-02T23:00:00Z'),
      endsAtMs: at('2026-11-03T01:00:00Z'),
      recurrence: 'weekly',
      untilMs: null,
    };
    expect(spans(def, '2026-11-10T00:30:00Z', '2026-11-10T02:00:00Z')).toEqual([
      ['2026-11-09T23:00:00.000Z', '2026-11-10T01:00:00.000Z'],
    ]);
  });
});
