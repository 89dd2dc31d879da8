/**
 * Gathers work for one tool run: items wait until `maxBatch` have come or `windowMs` has passed since
 * the first, then go to `run` together. With `windowMs` 0 each goes at once, alone.
 */
export class BatchWindow<T> {
  private waiting: T[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: { windowMs: number; maxBatch: number; run: (batch: T[]) => void }) {}

  add(item: T): void {
    this.waiting.push(item);
    if (this.waiting.length >= this.o.maxBatch || this.o.windowMs <= 0) this.o.run(this.take());
    else this.timer ??= setTimeout(() => this.o.run(this.take()), this.o.windowMs);
  }

  /** What waits, no longer waiting (the caller answers it: at the window's end, or when stopping). */
  take(): T[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    return batch;
  }
}
