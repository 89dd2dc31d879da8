import { describe, expect, it } from 'vitest';
import type { AgentClockHealth } from '../../../src/schemas/payloads.ts';
import {
  addClockSamples,
  type ClockSample,
  emptyClockWindow,
  estimateClockOffset,
  judgeAgentClock,
} from '../../../src/state/agent-clock.ts';

const T0 = Date.parse('2026-11-24T07:00:00Z');
const WINDOW_MS = 15 * 60_000;
const live = (atS: number, delayMs: number, anchor = false): ClockSample => ({
  receivedAtMs: T0 + atS * 1000,
  delayMs,
  anchor,
});
const windowOf = (...samples: ClockSample[]) => addClockSamples(emptyClockWindow(), samples, WINDOW_MS);

describe('estimateClockOffset', () => {
  it('is unknown without samples', () => {
    expect(estimateClockOffset(emptyClockWindow())).toEqual({ offsetMs: null, anchored: false });
  });

  it('takes the smallest delay, so replays of hour-old data do not move it', () => {
    const w = windowOf(live(0, 40, true), live(1, 3_600_000), live(2, 3_590_000), live(10, 25));
    expect(estimateClockOffset(w)).toEqual({ offsetMs: -25, anchored: true });
  });

  it('reads a negative delay as an agent clock ahead of the hub', () => {
    const w = windowOf(live(0, -10_000, true), live(10, -9_960));
    expect(estimateClockOffset(w).offsetMs).toBe(10_000);
  });

  it('forgets samples older than the window, measured from the newest', () => {
    let w = windowOf(live(0, -10_000, true));
    w = addClockSamples(w, [live(16 * 60, 30)], WINDOW_MS);
    expect(estimateClockOffset(w)).toEqual({ offsetMs: -30, anchored: false });
  });
});

const reported = (synchronized: boolean | null): AgentClockHealth => ({
  synchronized,
  source: 'timedatectl',
  offsetMs: null,
  maxErrorMs: null,
  checkedAt: '2026-11-24T07:00:00.000Z',
});

describe('the clock window', () => {
  it('matches the minimum over every sample in the window, keeping only a handful of them', () => {
    // A busy site: 100,000 samples over 30 min, delays wandering, a 15 min window moving on.
    let w = emptyClockWindow();
    const all: ClockSample[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 100_000; i++) {
      const sample = live(
        i * 0.018,
        Math.round(20 + random() * 500 + (i % 9000 === 0 ? -300 : 0)),
        i % 25_000 === 0,
      );
      all.push(sample);
      w = addClockSamples(w, [sample], WINDOW_MS);
      if (i % 997 === 0) {
        const inWindow = all.filter((s) => s.receivedAtMs > sample.receivedAtMs - WINDOW_MS);
        const min = inWindow.reduce((m, s) => Math.min(m, s.delayMs), Number.POSITIVE_INFINITY);
        expect(estimateClockOffset(w)).toEqual({
          offsetMs: min === 0 ? 0 : -min,
          anchored: inWindow.some((s) => s.anchor),
        });
      }
    }
    expect(w.candidates.length).toBeLessThan(100);
  });
});

describe('judgeAgentClock', () => {
  const est = (offsetMs: number | null, anchored = true) => ({ offsetMs, anchored });
  it.each([
    ['honest clock', est(-40), null, false, null],
    ['exactly at the limit', est(2000), null, false, null],
    ['ahead over the limit', est(2001), null, true, /2\.0 s ahead of the hub \(limit 2000 ms\)/],
    ['behind over the limit with an anchor', est(-10_000), null, true, /10\.0 s behind the hub/],
    ['behind with no anchor: may be a replay', est(-3_600_000, false), null, false, null],
    ['reported unsynchronised', est(-40), reported(false), true, /not NTP-synchronised \(timedatectl\)/],
    ['OS does not say', est(-40), reported(null), false, null],
    ['no samples yet', est(null), reported(true), false, null],
  ])('%s', (_name, estimate, health, suspect, reason) => {
    const j = judgeAgentClock(estimate, health, 2000);
    expect(j.suspect).toBe(suspect);
    if (reason) expect(j.reason).toMatch(reason);
    else expect(j.reason).toBeNull();
  });

  it('gives both reasons at once', () => {
    expect(judgeAgentClock(est(5000), reported(false), 2000).reason).toMatch(/synchronised.*; .*ahead/);
  });
});
