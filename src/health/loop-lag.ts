/**
 * The event loop's own delay, from a timer that should fire every tickMs: how late it fires is how
 * long the process could not run anything (a stall behind other work, or a starved host). Both the
 * agent (to judge its checks) and the hub (to judge staleness) use it to tell their own trouble from
 * the cameras'.
 */
export interface LoopLagOptions {
  now: () => number;
  tickMs: number;
  /** A timer this late is normal scheduling jitter, not a stall. */
  jitterMs: number;
  /** After every tick, with how late it fired. */
  onTick?: (lateMs: number, nowMs: number) => void;
}

export class LoopLag {
  private timer: NodeJS.Timeout | undefined;
  private lastTickMs = 0;
  private lostMs = 0;
  private stallEndMs: number | null = null;

  constructor(private readonly options: LoopLagOptions) {}

  start(): void {
    if (this.timer) return;
    this.lastTickMs = this.options.now();
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    // The measure must never keep a stopping process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * How long the loop has been stalled right now, before its timer could tick: code that runs right
   * after a stall (a deadline, a sweep) may run before the tick does, since both are timers.
   */
  private pendingMs(nowMs: number): number {
    if (!this.timer) return 0;
    const late = nowMs - this.lastTickMs - this.options.tickMs;
    return late > this.options.jitterMs ? late : 0;
  }

  /** Time the loop has lost so far, a stall still going on included. */
  lostSoFarMs(nowMs = this.options.now()): number {
    return this.lostMs + this.pendingMs(nowMs);
  }

  /**
   * Since when the loop has run without a stall (a stall that is only now ending counts as ending
   * now); null when it has never stalled since start.
   */
  runningFreelySinceMs(nowMs = this.options.now()): number | null {
    return this.pendingMs(nowMs) > 0 ? nowMs : this.stallEndMs;
  }

  private tick(): void {
    const now = this.options.now();
    const late = now - this.lastTickMs - this.options.tickMs;
    if (late > this.options.jitterMs) {
      this.lostMs += late;
      this.stallEndMs = now;
    }
    this.lastTickMs = now;
    this.options.onTick?.(Math.max(0, late), now);
  }
}
