import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelay {
  /** Over this many seconds (the last complete window, or the current one before the first ends). */
  windowS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ProcessFigures {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** Memory of Buffers and other objects outside the V8 heap. */
  externalMb: number;
  eventLoopDelay: EventLoopDelay | null;
}

const WINDOW_MS = 60_000;
/** The histogram's timer period: each sample is the time between two of its ticks, so this is taken off. */
const RESOLUTION_MS = 10;
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
/** A sample (ns between ticks) as delay beyond the period, in ms to 0.1. */
const delayMs = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);

/**
 * The hub process's memory and event-loop delay (how late timers and I/O callbacks run: what every
 * socket push and ingest batch waits on), over windows of a minute, for operators and benchmarks.
 */
export class ProcessStats {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private windowStartMs = 0;
  private last: EventLoopDelay | null = null;
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    this.histogram.enable();
    this.windowStartMs = performance.now();
    this.timer = setInterval(() => {
      this.last = this.current();
      this.histogram.reset();
      this.windowStartMs = performance.now();
    }, WINDOW_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  private current(): EventLoopDelay | null {
    if (this.histogram.count === 0) return null;
    return {
      windowS: Math.round((performance.now() - this.windowStartMs) / 1000),
      p50Ms: delayMs(this.histogram.percentile(50)),
      p99Ms: delayMs(this.histogram.percentile(99)),
      maxMs: delayMs(this.histogram.max),
    };
  }

  read(): ProcessFigures {
    const m = process.memoryUsage();
    return {
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      heapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external),
      eventLoopDelay: this.last ?? this.current(),
    };
  }
}
