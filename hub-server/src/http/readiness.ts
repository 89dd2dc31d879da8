/**
 * A readiness check answered from its latest result: /healthz must say whether the database is up,
 * not wait behind the ingest's transaction for the answer (the embedded database runs one query at
 * a time, so a ping queued behind a large batch made a busy hub look slow to its health checks).
 * A result older than `maxAgeMs` starts a fresh check in the background; a check that has not
 * answered within `hangMs` reports not ready, so a hung database still shows.
 */
export class CachedCheck {
  private last: { ok: boolean; atMs: number } | null = null;
  private inFlight: Promise<boolean> | null = null;
  private startedMs = 0;

  constructor(
    private readonly check: () => Promise<boolean>,
    private readonly maxAgeMs = 1000,
    private readonly hangMs = 3000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async read(): Promise<boolean> {
    const t = this.now();
    if (this.inFlight && t - this.startedMs > this.hangMs) return false;
    if (!this.last) return this.run();
    if (t - this.last.atMs > this.maxAgeMs) void this.run();
    return this.last.ok;
  }

  private run(): Promise<boolean> {
    if (!this.inFlight) {
      this.startedMs = this.now();
      this.inFlight = this.check()
        .catch(() => false)
        .then((ok) => {
          this.last = { ok, atMs: this.now() };
          return ok;
        })
        .finally(() => {
          this.inFlight = null;
        });
    }
    return this.inFlight;
  }
}
