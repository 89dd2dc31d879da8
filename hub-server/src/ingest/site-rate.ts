/**
 * Per-site message rate: a token bucket holding `burstSeconds` worth of messages at `perSecond`
 * (an outbox replay after an outage arrives in bursts), and, for messages beyond it, a budget of
 * dead letters per site and minute so that a flood is refused without filling the database.
 */
export class SiteRateLimiter {
  private readonly buckets = new Map<
    string,
    { tokens: number; atMs: number; stored: number; minute: number }
  >();
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
      bucket = { tokens: this.capacity, atMs: nowMs, stored: 0, minute: Math.floor(nowMs / 60_000) };
      this.buckets.set(siteId, bucket);
    }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.perSecond);
    bucket.atMs = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'ok';
    }
    const minute = Math.floor(nowMs / 60_000);
    if (minute !== bucket.minute) {
      bucket.minute = minute;
      bucket.stored = 0;
    }
    if (bucket.stored < this.deadLettersPerMinute) {
      bucket.stored++;
      return 'refuse';
    }
    return 'refuse-unstored';
  }
}
