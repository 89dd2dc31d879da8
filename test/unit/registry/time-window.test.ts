import { describe, expect, it } from 'vitest';
import { checkObservedAt } from '../../../src/registry/time-window.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const DAY = 86_400_000;
const window = {
  receivedAtMs: NOW,
  notBeforeMs: NOW - 10 * DAY,
  replayHorizonMs: 31 * DAY,
  futureToleranceMs: 300_000,
};

describe('observation time window', () => {
  it.each([
    ['now', NOW, null],
    ['just inside the future tolerance', NOW + 300_000, null],
    ['beyond the future tolerance', NOW + 300_001, 'OBSERVED_IN_FUTURE'],
    ['at registration', NOW - 10 * DAY, null],
    ['before registration', NOW - 10 * DAY - 1, 'OBSERVED_BEFORE_REGISTRATION'],
    ['beyond the replay horizon', NOW - 31 * DAY - 1, 'OBSERVED_TOO_OLD'],
    ['three years back', NOW - 3 * 365 * DAY, 'OBSERVED_TOO_OLD'],
  ])('%s', (_label, atMs, code) => {
    expect(checkObservedAt(atMs, window)?.code ?? null).toBe(code);
  });

  it('names the field and the distance in its message', () => {
    expect(checkObservedAt(NOW + DAY, window, 'from')?.message).toMatch(/^from is 24 h ahead/);
  });
});
