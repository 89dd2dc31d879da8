import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import { MonitorHealth, type MonitorHealthDeps } from '../../../edge-agent/src/monitor-health.ts';
import type { OnvifCamera } from '../../../edge-agent/src/onvif/device-client.ts';
import { testMonitor } from './monitor-fixture.ts';

/** Blocks the timers for `ms` as a busy event loop would: the clock moves on, no timer fires meanwhile. */
function stall(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

function makeHealth(deps: Partial<MonitorHealthDeps> = {}) {
  const changes: boolean[] = [];
  const health = new MonitorHealth({
    deps: { now: () => Date.now(), cpuWaitTotalUs: () => null, load1: () => 0.5, cpuCount: () => 2, ...deps },
    concurrency: () => ({ runningPolls: 1, pollSlots: 16, runningProbes: 0, probeSlots: 4 }),
    onChange: (impaired) => changes.push(impaired),
  });
  return { health, changes };
}

describe('MonitorHealth', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a loop that keeps time loses nothing and is not impaired', () => {
    const { health, changes } = makeHealth();
    health.start();
    const start = health.reading();
    vi.advanceTimersByTime(5_000);
    expect(health.judge(start)).toMatchObject({ impaired: false, loopLostMs: 0 });
    expect(health.summary()).toMatchObject({ impaired: false, since: null, eventLoopLagMs: 0 });
    expect(changes).toEqual([]);
    health.stop();
  });

  it('counts a stall that is still going on when a deadline fires before its own timer', () => {
    const { health } = makeHealth();
    health.start();
    vi.advanceTimersByTime(1_000);
    const start = health.reading();
    stall(3_000);
    // No tick yet: the stall is counted from the time since the last tick.
    const judged = health.judge(start);
    expect(judged.impaired).toBe(true);
    expect(judged.loopLostMs).toBeGreaterThan(2_800);
    expect(judged.detail).toMatch(/event loop was stalled for 2\.9 s of the 3\.0 s window/);
    health.stop();
  });

  it('turns impaired after a stall and recovers after ten clear seconds, saying so each time', () => {
    const { health, changes } = makeHealth();
    health.start();
    vi.advanceTimersByTime(2_000);
    stall(4_000);
    vi.advanceTimersByTime(100);
    expect(health.impaired).toBe(true);
    expect(changes).toEqual([true]);
    const summary = health.summary();
    expect(summary).toMatchObject({
      impaired: true,
      cpuCount: 2,
      load1: 0.5,
      runningPolls: 1,
      probeSlots: 4,
    });
    expect(summary.since).not.toBeNull();
    expect(summary.detail).toMatch(/event loop was stalled/);
    expect(summary.eventLoopLagMs).toBeGreaterThan(3_800);
    vi.advanceTimersByTime(5_000);
    expect(changes).toEqual([true]);
    vi.advanceTimersByTime(11_000);
    expect(changes).toEqual([true, false]);
    expect(health.summary()).toMatchObject({ impaired: false, since: null, detail: null });
    health.stop();
  });

  it('judges host CPU pressure from the PSI total', () => {
    let waitUs = 0;
    const { health } = makeHealth({ cpuWaitTotalUs: () => waitUs });
    health.start();
    const start = health.reading();
    vi.advanceTimersByTime(4_000);
    waitUs += 3_000_000;
    const judged = health.judge(start);
    expect(judged).toMatchObject({ impaired: true, cpuWaitShare: 0.75 });
    expect(judged.detail).toMatch(/waited for a CPU for 75% of the window/);
    health.stop();
  });
});

describe('CameraMonitor under an impaired agent', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A camera whose clock request fails after the agent's loop stalled for `stallMs` (0: no stall). */
  function monitorFailing(error: AgentError, stallMs: number, health: MonitorHealth) {
    const onvif: OnvifCamera = {
      readClock: async () => {
        stall(stallMs);
        throw error;
      },
      readDevice: async () => {
        throw new Error('not reached');
      },
    };
    return testMonitor(onvif, { health });
  }

  const timeout = () => new AgentError('timeout', 'GetSystemDateAndTime: no answer within 5000 ms');
  const refused = () => new AgentError('unreachable', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9');
  const cases = [
    {
      name: 'timeout while the loop stalled',
      error: timeout,
      stallMs: 6_000,
      state: 'unknown',
      code: 'monitor_impaired',
    },
    { name: 'timeout while the agent was well', error: timeout, stallMs: 0, state: 'down', code: 'timeout' },
    {
      name: 'connection refused while the loop stalled',
      error: refused,
      stallMs: 6_000,
      state: 'down',
      code: 'unreachable',
    },
  ];
  it.each(cases)('$name: $state', async ({ error, stallMs, state, code }) => {
    const { health } = makeHealth();
    health.start();
    vi.advanceTimersByTime(1_000);
    const { payload } = await monitorFailing(error(), stallMs, health).poll();
    expect(payload.state).toBe(state);
    expect(payload.reasons[0]?.code).toBe(code);
    if (state === 'unknown') {
      expect(payload.reasons[0]?.message).toMatch(/^inconclusive, not counted against the camera/);
      expect(health.summary().inconclusiveChecks).toBe(1);
    } else expect(health.summary().inconclusiveChecks).toBe(0);
    health.stop();
  });
});
