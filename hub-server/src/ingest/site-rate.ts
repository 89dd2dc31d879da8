/**
 * Per-site message rate: a token bucket holding `burstSeconds` worth of messages at `perSecond`
 * (an outbox replay after an outage arrives in bursts), and, for messages beyond it, a second
 * bucket of dead letters (`deadLettersPerMinute`, refilled evenly) so that a flood is refused
 * without filling the database. Both buckets refill continuously: no window boundary lets a flood
 * that straddles it store twice the budget.
 */
export class SiteRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; letters: number; atMs: number }>();
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    burstSeconds: number,
    private readonly deadLettersPerMinute = 100,
    /** Sites tracked at most (made-up ids are possible only with site authentication off). */
    private readonly maxSites = 100_000,
  ) {
    this.capacity = perSecond * burstSeconds;
  }

  /** ok: within the rate; refuse: dead-letter it; refuse-unstored: count it only. */
  take(siteId: string, nowMs: number): 'ok' | 'refuse' | 'refuse-unstored' {
    let bucket = this.buckets.get(siteId);
    if (!bucket) {
      if (this.buckets.size >= this.maxSites) this.buckets.clear();
      bucket = { tokens: this.capacity, letters: this.deadLettersPerMinute, atMs: nowMs };
      this.buckets.set(siteId, bucket);
    }
    // A clock that steps back adds nothing.
    const seconds = Math.max(0, nowMs - bucket.atMs) / 1000;
    bucket.tokens = Math.min(this.capacity, bucket.tokens + seconds * this.perSecond);
    bucket.letters = Math.min(
      this.deadLettersPerMinute,
      bucket.letters + (seconds * this.deadLettersPerMinute) / 60,
    );
    bucket.atMs = Math.max(bucket.atMs, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'ok';
    }
    if (bucket.letters >= 1) {
      bucket.letters -= 1;
      return 'refuse';
    }
    return 'refuse-unstored';
  }
}
