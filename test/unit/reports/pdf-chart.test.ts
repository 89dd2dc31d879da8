import { describe, expect, it } from 'vitest';
import { rangeSeconds, thinSamples } from '../../../hub-server/src/reports/pdf-chart.ts';

const period = { fromMs: Date.parse('2025-03-01T00:00:00Z'), toMs: Date.parse('2025-03-02T00:00:00Z') };
const at = (minutes: number) => new Date(period.fromMs + minutes * 60_000).toISOString();

describe('thinSamples', () => {
  it('keeps the lowest and highest reading of each slot in time order, so spikes survive', () => {
    // One reading a minute for a day into 4 slots of 6 hours; a 9 s spike and a -3 s dip in slot 1.
    const samples = Array.from({ length: 1440 }, (_, m) => ({
      at: at(m),
      offsetMs: m === 500 ? 9_000 : m === 420 ? -3_000 : 100,
    }));
    const points = thinSamples(samples, period, 4);
    expect(points.map((p) => p.offsetS)).toEqual([0.1, -3, 9, 0.1, 0.1]);
    expect(points.map((p) => p.atMs)).toEqual([...points.map((p) => p.atMs)].sort((a, b) => a - b));
  });

  it('drops readings outside the period and non-numbers', () => {
    const points = thinSamples(
      [
        { at: '2025-02-28T23:59:00Z', offsetMs: 50_000 },
        { at: '2025-03-02T00:00:00Z', offsetMs: 50_000 },
        { at: at(10), offsetMs: Number.NaN },
        { at: at(20), offsetMs: 200 },
      ],
      period,
      100,
    );
    expect(points).toEqual([{ atMs: Date.parse(at(20)), offsetS: 0.2 }]);
  });
});

describe('rangeSeconds', () => {
  it.each([
    [[], 6],
    [[0.2, -0.5], 6],
    [[-7.25], 8],
    [[3600.03], 4000],
    [[42], 50],
  ])('%j -> ±%d s', (offsets, expected) => {
    expect(rangeSeconds(offsets.map((offsetS) => ({ atMs: 0, offsetS })))).toBe(expected);
  });
});
