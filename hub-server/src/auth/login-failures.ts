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

/** A failure counter as the login and enrolment limits use it: in memory, or shared by the region. */
export interface FailureCounter {
  count(key: string): number | Promise<number>;
  retryAfterMs(key: string): number | Promise<number>;
  add(key: string): void | Promise<void>;
  clear(key: string): void | Promise<void>;
  removeLatest(key: string): void | Promise<void>;
}

/**
 * The same counts kept in the region's PostgreSQL (cluster mode), so a guesser gains nothing by
 * spreading attempts over the hub processes behind a load balancer. Logins are rare enough that a
 * query each is cheap; rows older than the window are deleted as keys are counted.
 */
export class SharedFailures implements FailureCounter {
  constructor(
    private readonly pool: import('pg').Pool,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  private from(): Date {
    return new Date(this.now() - this.windowMs);
  }

  async count(key: string): Promise<number> {
    await this.pool.query('DELETE FROM auth_failures WHERE key = $1 AND at <= $2', [key, this.from()]);
    const r = await this.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM auth_failures WHERE key = $1',
      [key],
    );
    return r.rows[0]?.n ?? 0;
  }

  async retryAfterMs(key: string): Promise<number> {
    const r = await this.pool.query<{ first: Date | null }>(
      'SELECT min(at) AS first FROM auth_failures WHERE key = $1 AND at > $2',
      [key, this.from()],
    );
    const first = r.rows[0]?.first;
    return first ? Math.max(0, first.getTime() + this.windowMs - this.now()) : 0;
  }

  async add(key: string): Promise<void> {
    await this.pool.query('INSERT INTO auth_failures (key, at) VALUES ($1, $2)', [key, new Date(this.now())]);
  }

  async clear(key: string): Promise<void> {
    await this.pool.query('DELETE FROM auth_failures WHERE key = $1', [key]);
  }

  async removeLatest(key: string): Promise<void> {
    await this.pool.query(
      'DELETE FROM auth_failures WHERE id = (SELECT id FROM auth_failures WHERE key = $1 ORDER BY id DESC LIMIT 1)',
      [key],
    );
  }

  /** Drops every row older than the window (the leader runs it now and then). */
  async cleanUp(): Promise<void> {
    await this.pool.query('DELETE FROM auth_failures WHERE at <= $1', [this.from()]);
  }
}
