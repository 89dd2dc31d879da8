import pLimit from 'p-limit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../../edge-agent/src/scheduler.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('Scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps good cameras on cadence while one hangs until its deadline', async () => {
    const errors: string[] = [];
    const scheduler = new Scheduler({ now: () => Date.now(), onError: (key) => errors.push(key) });
    const limit = pLimit(4);
    const starts = new Map<string, number[]>();
    const add = (key: string, workMs: number, initialDelayMs: number) => {
      starts.set(key, []);
      scheduler.add({
        key,
        intervalMs: 1_000,
        initialDelayMs,
        limit,
        run: async () => {
          starts.get(key)?.push(Date.now());
          await sleep(workMs);
        },
      });
    };
    add('hung', 5_000, 0); // a camera that answers nothing until the 5 s ONVIF deadline
    for (let i = 0; i < 3; i++) add(`good-${i}`, 30, 100 * (i + 1));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(10_050);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(5_000); // the hung run started at 10 s ends at its deadline
    await stopped;

    for (let i = 0; i < 3; i++) {
      const times = starts.get(`good-${i}`) ?? [];
      expect(times).toHaveLength(10);
      const gaps = times.slice(1).map((t, j) => t - (times[j] as number));
      expect(gaps.every((g) => g === 1_000)).toBe(true);
    }
    // The hung task skipped its ticks instead of queueing them behind the good ones.
    expect(starts.get('hung')).toEqual([1_000_000, 1_005_000, 1_010_000]);
    expect(scheduler.stats().skipped).toBeGreaterThanOrEqual(8);
    expect(errors).toEqual([]);
  });

  it('stop() clears every timer and waits for runs in progress', async () => {
    const scheduler = new Scheduler({ now: () => Date.now(), onError: () => undefined });
    let finished = false;
    scheduler.add({
      key: 'slow',
      intervalMs: 1_000,
      initialDelayMs: 0,
      limit: pLimit(1),
      run: async () => {
        await sleep(300);
        finished = true;
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(10);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(300);
    await stopped;
    expect(finished).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports task errors through onError and keeps scheduling', async () => {
    const errors: string[] = [];
    const scheduler = new Scheduler({ now: () => Date.now(), onError: (key) => errors.push(key) });
    scheduler.add({
      key: 'broken',
      intervalMs: 500,
      initialDelayMs: 0,
      limit: pLimit(1),
      run: () => Promise.reject(new Error('boom')),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_100);
    await scheduler.stop();
    expect(errors).toEqual(['broken', 'broken', 'broken']);
  });

  it('trigger() runs a task now without disturbing its cadence', async () => {
    const scheduler = new Scheduler({ now: () => Date.now(), onError: () => undefined });
    const starts: number[] = [];
    scheduler.add({
      key: 'probe',
      intervalMs: 10_000,
      initialDelayMs: 10_000,
      limit: pLimit(1),
      run: async () => {
        starts.push(Date.now() - 1_000_000);
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    scheduler.trigger('probe');
    await vi.advanceTimersByTimeAsync(19_000);
    await scheduler.stop();
    expect(starts).toEqual([2_000, 10_000, 20_000]);
  });
});
