import type { LimitFunction } from 'p-limit';

export interface PeriodicTask {
  key: string;
  intervalMs: number;
  /** Spreads the first runs so many cameras do not all fire at once. */
  initialDelayMs: number;
  /** Shared concurrency limit (polls and probes have separate ones). */
  limit: LimitFunction;
  run: () => Promise<void>;
}

export interface SchedulerOptions {
  now: () => number;
  onError: (key: string, error: unknown) => void;
}

interface TaskState {
  spec: PeriodicTask;
  timer: NodeJS.Timeout | undefined;
  nextAtMs: number;
  inFlight: Promise<void> | null;
  runs: number;
  skipped: number;
}

export interface SchedulerStats {
  runs: number;
  /** Ticks dropped because the previous run of the same task had not finished (a slow camera). */
  skipped: number;
  queued: number;
}

/**
 * Fixed-rate timers, one per task. A task whose previous run is still going skips its tick instead of
 * piling up, so a hung camera costs one concurrency slot for at most its own deadline and never delays the
 * others' cadence (as long as the limit exceeds the number of cameras hung at once).
 */
export class Scheduler {
  private readonly tasks = new Map<string, TaskState>();
  private running = false;

  constructor(private readonly options: SchedulerOptions) {}

  add(spec: PeriodicTask): void {
    if (this.tasks.has(spec.key)) throw new Error(`task ${spec.key} is already scheduled`);
    const state: TaskState = { spec, timer: undefined, nextAtMs: 0, inFlight: null, runs: 0, skipped: 0 };
    this.tasks.set(spec.key, state);
    if (this.running) this.arm(state, this.options.now() + spec.initialDelayMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.options.now();
    for (const state of this.tasks.values()) this.arm(state, now + state.spec.initialDelayMs);
  }

  /** Runs a task as soon as a slot is free (unless it is already running), keeping its cadence after. */
  trigger(key: string): void {
    const state = this.tasks.get(key);
    if (!this.running || !state || state.inFlight) return;
    this.execute(state);
  }

  /**
   * Clears every timer; queued runs resolve without doing anything (see execute), and this resolves once
   * runs already going have settled (each is bounded by its own deadlines).
   */
  async stop(): Promise<void> {
    this.running = false;
    for (const state of this.tasks.values()) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    await Promise.allSettled([...this.tasks.values()].map((s) => s.inFlight).filter((p) => p !== null));
  }

  stats(): SchedulerStats {
    let runs = 0;
    let skipped = 0;
    const limits = new Set<LimitFunction>();
    for (const s of this.tasks.values()) {
      runs += s.runs;
      skipped += s.skipped;
      limits.add(s.spec.limit);
    }
    const queued = [...limits].reduce((n, l) => n + l.pendingCount, 0);
    return { runs, skipped, queued };
  }

  private arm(state: TaskState, atMs: number): void {
    state.nextAtMs = atMs;
    state.timer = setTimeout(() => this.tick(state), Math.max(0, atMs - this.options.now()));
  }

  private tick(state: TaskState): void {
    if (!this.running) return;
    const now = this.options.now();
    let next = state.nextAtMs + state.spec.intervalMs;
    // Fell behind (event loop stalled, machine suspended): resume the cadence from now, do not burst.
    if (next <= now) next = now + state.spec.intervalMs;
    this.arm(state, next);
    if (state.inFlight) {
      state.skipped += 1;
      return;
    }
    this.execute(state);
  }

  private execute(state: TaskState): void {
    state.runs += 1;
    const run = state.spec
      .limit(() => (this.running ? state.spec.run() : Promise.resolve()))
      .catch((error: unknown) => this.options.onError(state.spec.key, error))
      .finally(() => {
        state.inFlight = null;
      });
    state.inFlight = run;
  }
}
