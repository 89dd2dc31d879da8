import { describe, expect, it } from 'vitest';
import { SiteRateLimiter } from '../../../hub-server/src/ingest/site-rate.ts';

const count = (verdicts: string[]) => ({
  ok: verdicts.filter((v) => v === 'ok').length,
  refuse: verdicts.filter((v) => v === 'refuse').length,
  unstored: verdicts.filter((v) => v === 'refuse-unstored').length,
});

describe('site message rate', () => {
  it('lets a burst of burstSeconds worth through, then refuses, storing at most the dead-letter budget', () => {
    const limiter = new SiteRateLimiter(40, 2, 100);
    const verdicts = Array.from({ length: 400 }, () => limiter.take('site-a', 1_000_000));
    expect(count(verdicts)).toEqual({ ok: 80, refuse: 100, unstored: 220 });
  });

  it('stores no more than the budget and its refill for a flood that straddles a minute boundary', () => {
    const limiter = new SiteRateLimiter(40, 2, 100);
    // 400 messages over the 2 s around 12:01:00 (a calendar-minute budget would store 200).
    const start = 60_000 * 1_000 - 1_000;
    const verdicts = Array.from({ length: 400 }, (_, i) => limiter.take('site-a', start + i * 5));
    const { refuse } = count(verdicts);
    // 2 s of refill at 100 a minute is 3.3 letters more.
    expect(refuse).toBeGreaterThanOrEqual(100);
    expect(refuse).toBeLessThanOrEqual(104);
  });

  it('refills the dead-letter budget evenly and keeps sites apart', () => {
    const limiter = new SiteRateLimiter(1, 1, 60);
    expect(limiter.take('a', 0)).toBe('ok');
    for (let i = 0; i < 60; i++) expect(limiter.take('a', 0)).toBe('refuse');
    expect(limiter.take('a', 0)).toBe('refuse-unstored');
    // Another site has its own buckets.
    expect(limiter.take('b', 0)).toBe('ok');
    // After 0.5 s: half a message token, half a letter: still nothing to store.
    expect(limiter.take('a', 500)).toBe('refuse-unstored');
    // After 1 s: a message token is back.
    expect(limiter.take('a', 1_000)).toBe('ok');
    // Letters came back at one a second meanwhile.
    expect(limiter.take('a', 1_000)).toBe('refuse');
    expect(limiter.take('a', 1_000)).toBe('refuse-unstored');
  });

  it('adds nothing when the clock steps back', () => {
    const limiter = new SiteRateLimiter(1, 1, 1);
    expect(limiter.take('a', 10_000)).toBe('ok');
    expect(limiter.take('a', 10_000)).toBe('refuse');
    expect(limiter.take('a', 0)).toBe('refuse-unstored');
    expect(limiter.take('a', 5_000)).toBe('refuse-unstored');
  });
});
