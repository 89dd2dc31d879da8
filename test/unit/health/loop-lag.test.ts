import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoopLag } from '../../../src/health/loop-lag.ts';

/** The clock moves on and no timer fires meanwhile, as when the event loop is busy. */
const stall = (ms: number) => vi.setSystemTime(Date.now() + ms);

describe('LoopLag', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = () => new LoopLag({ now: () => Date.now(), tickMs: 100, jitterMs: 250 });

  it('a loop that keeps time has lost nothing and has never stalled', () => {
    const lag = make();
    lag.start();
    vi.advanceTimersByTime(10_000);
    expect(lag.lostSoFarMs()).toBe(0);
    expect(lag.runningFreelySinceMs()).toBeNull();
    lag.stop();
  });

  it('counts a stall from the moment it ends, before and after its own timer has ticked', () => {
    const lag = make();
    lag.start();
    vi.advanceTimersByTime(1_000);
    stall(3_000);
    const endedAt = Date.now();
    // Before the tick: the stall is still counted (a sweep or a deadline may run first), as the time
    // past the tick that was due 100 ms after the last one.
    expect(lag.runningFreelySinceMs()).toBe(endedAt);
    expect(lag.lostSoFarMs()).toBe(2_900);
    vi.advanceTimersByTime(100);
    const tickedAt = lag.runningFreelySinceMs();
    expect(tickedAt).toBeGreaterThanOrEqual(endedAt);
    expect(lag.lostSoFarMs()).toBeGreaterThanOrEqual(2_900);
    vi.advanceTimersByTime(2_000);
    // Running freely since the tick that saw the stall end.
    expect(lag.runningFreelySinceMs()).toBe(tickedAt);
    lag.stop();
  });

  it('takes lateness within the jitter allowance for scheduling noise', () => {
    const lag = make();
    lag.start();
    vi.advanceTimersByTime(500);
    stall(200);
    vi.advanceTimersByTime(100);
    expect(lag.lostSoFarMs()).toBe(0);
    expect(lag.runningFreelySinceMs()).toBeNull();
    lag.stop();
  });

  it('reports nothing pending once stopped', () => {
    const lag = make();
    lag.start();
    lag.stop();
    stall(5_000);
    expect(lag.lostSoFarMs()).toBe(0);
    expect(lag.runningFreelySinceMs()).toBeNull();
  });
});
