/**
 * Long loops over a fleet (thousands of cameras) share the event loop with ingest and the live
 * pushes, which wait behind whatever runs: such a loop gives the loop a turn once it has run for
 * `maxMs`. Check `due()` once per item; it costs a clock read until a turn is due:
 *
 *   const slice = new TimeSlice(4);
 *   for (const item of items) {
 *     const turn = slice.due();
 *     if (turn) await turn;
 *     ...
 *   }
 */
export class TimeSlice {
  private startMs: number;

  constructor(
    private readonly maxMs: number,
    /** A monotonic clock in ms (tests give their own). */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.startMs = clock();
  }

  /** A promise to await when the slice has run for maxMs (a turn of the event loop), else undefined. */
  due(): Promise<void> | undefined {
    if (this.clock() - this.startMs <= this.maxMs) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.restart());
  }

  /** Starts a new slice now (after an await that already gave the event loop its turn). */
  restart(): void {
    this.startMs = this.clock();
  }
}
