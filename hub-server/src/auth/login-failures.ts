/**
 * Failed logins per key within a sliding window: what the login limits count. Successful logins are not
 * counted, so a control room sharing one account signs in as often as it needs; a success clears the
 * failures of its own address and user name (never those of the address as a whole, which a guesser
 * with one valid account could otherwise reset). Bounded: at most `maxKeys` keys, oldest dropped first.
 */
export class LoginFailures {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 50_000,
  ) {}

  private live(key: string): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const from = this.now() - this.windowMs;
    while (list.length > 0 && (list[0] as number) <= from) list.shift();
    if (list.length === 0) this.failures.delete(key);
    return list;
  }

  /** Failures of `key` still inside the window. */
  count(key: string): number {
    return this.live(key).length;
  }

  /** Milliseconds until the oldest failure of `key` leaves the window (0 when none). */
  retryAfterMs(key: string): number {
    const first = this.live(key)[0];
    return first === undefined ? 0 : Math.max(0, first + this.windowMs - this.now());
  }

  add(key: string): void {
    const list = this.live(key);
    list.push(this.now());
    // Re-inserted, so the map's order is least recently failed first.
    this.failures.delete(key);
    this.failures.set(key, list);
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  /** Takes back the latest failure of `key` (an attempt counted as it started that then succeeded). */
  removeLatest(key: string): void {
    const list = this.failures.get(key);
    list?.pop();
    if (list?.length === 0) this.failures.delete(key);
  }
}
