import { describe, expect, it } from 'vitest';
import { dayMark, span } from '../../../dashboard/src/camera-history.ts';

describe('camera detail record', () => {
  it('marks a day good from 99.9%, fair from 99%, poor below, none without data', () => {
    expect(dayMark(null)).toBe('none');
    expect(dayMark(1)).toBe('good');
    expect(dayMark(0.999)).toBe('good');
    expect(dayMark(0.9989)).toBe('fair');
    expect(dayMark(0.99)).toBe('fair');
    expect(dayMark(0.9899)).toBe('poor');
    expect(dayMark(0)).toBe('poor');
  });

  it('says how long an interval lasted in the largest sensible units', () => {
    expect(span(0)).toBe('0 s');
    expect(span(59_400)).toBe('59 s');
    expect(span(60_000)).toBe('1 min');
    expect(span(3_599_000)).toBe('59 min');
    expect(span(3_600_000)).toBe('1 h');
    expect(span(3_600_000 + 12 * 60_000)).toBe('1 h 12 min');
    expect(span(47 * 3_600_000)).toBe('47 h');
    expect(span(48 * 3_600_000)).toBe('2 d');
    expect(span(50 * 3_600_000)).toBe('2 d 2 h');
    // A clock that ran backwards never gives a negative length.
    expect(span(-5_000)).toBe('0 s');
  });
});
