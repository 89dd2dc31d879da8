import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import {
  DEFAULT_IMPAIRMENT_LIMITS,
  type ImpairmentLimits,
  judgeWindow,
  type MonitorReading,
  type WindowJudgement,
} from '../../src/health/impairment.ts';
import { LoopLag } from '../../src/health/loop-lag.ts';
import type { MonitorHealth as MonitorHealthPayload } from '../../src/schemas/payloads.ts';

/** What the agent's process and host say about themselves; replaced in tests. */
export interface MonitorHealthDeps {
  now: () => number;
  /** Cumulative microseconds some task of the agent's cgroup waited for a CPU (PSI "some" total); null where absent. */
  cpuWaitTotalUs: () => number | null;
  load1: () => number | null;
  cpuCount: () => number;
}

/**
 * The agent's own cgroup's CPU pressure file (cgroup v2, or the unified hierarchy of a hybrid host),
 * or null when the agent runs in the root cgroup or the kernel has no PSI. Only the agent's own
 * cgroup says whether its tasks (itself, its ffprobe and ffmpeg children) waited for a CPU: the
 * host-wide figure also counts any busy neighbour whose contention the agent may not feel.
 */
function ownCpuPressureFile(): string | null {
  let path: string | undefined;
  try {
    path = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  } catch {
    // Not Linux: no cgroups.
    return null;
  }
  if (!path || path === '/') return null;
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    const file = `${root}${path}/cpu.pressure`;
    if (readPressureUs(file) !== null) return file;
  }
  return null;
}

function readPressureUs(file: string): number | null {
  try {
    const some = /^some .*\btotal=(\d+)/m.exec(readFileSync(file, 'utf8'));
    return some ? Number(some[1]) : null;
  } catch {
    // No PSI there (older kernel, or PSI disabled): the event-loop measure stands alone.
    return null;
  }
}

/** Real figures: the agent's own cgroup's CPU pressure where it has one, the load average everywhere. */
export function realMonitorHealthDeps(): MonitorHealthDeps {
  const pressureFile = ownCpuPressureFile();
  return {
    now: Date.now,
    cpuWaitTotalUs: () => (pressureFile === null ? null : readPressureUs(pressureFile)),
    load1: () => (process.platform === 'win32' ? null : (loadavg()[0] ?? null)),
    cpuCount: () => availableParallelism(),
  };
}

export interface MonitorHealthOptions {
  deps: MonitorHealthDeps;
  limits?: ImpairmentLimits;
  /** How often the event-loop timer ticks; its lateness is the loop's delay. */
  tickMs?: number;
  /** Figures of the agent's own concurrency for the site state. */
  concurrency: () => Pick<
    MonitorHealthPayload,
    'runningPolls' | 'pollSlots' | 'runningProbes' | 'probeSlots'
  >;
  /** Called when the agent turns impaired or recovers, so the site state can be republished. */
  onChange: (impaired: boolean) => void;
}

const DEFAULT_TICK_MS = 100;
/** A timer a few milliseconds late is normal scheduling jitter, not a stall. */
const TICK_JITTER_MS = 10;
/** The window "impaired now" is judged over, and how long it must stay clear before recovery is declared. */
const RECENT_WINDOW_MS = 5_000;
const RECOVERY_MS = 10_000;
/** The site state's figures cover the last minute. */
const FIGURES_WINDOW_MS = 60_000;

/**
 * Measures the agent's own health: a timer that should fire every tickMs, whose lateness adds up to
 * the time the event loop lost, and its cgroup's CPU pressure. Checks read it when they start and when
 * they fail (see judgeWindow); the site state carries a summary.
 */
export class MonitorHealth {
  private readonly loop: LoopLag;
  private running = false;
  /** Readings once per second over the last minute, for the recent window and the site state's figures. */
  private history: MonitorReading[] = [];
  private impairedSinceMs: number | null = null;
  private clearSinceMs: number | null = null;
  private lastDetail: string | null = null;
  private inconclusive = 0;
  private ticks = 0;

  constructor(private readonly options: MonitorHealthOptions) {
    this.loop = new LoopLag({
      now: options.deps.now,
      tickMs: options.tickMs ?? DEFAULT_TICK_MS,
      jitterMs: TICK_JITTER_MS,
      onTick: (lateMs, nowMs) => this.tick(lateMs, nowMs),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop.start();
    this.history = [this.reading()];
  }

  stop(): void {
    this.running = false;
    this.loop.stop();
  }

  /**
   * Now's counters. A stall still going on (the loop is running this code right after it, before the
   * timer could tick) is counted already: a deadline timer and the tick may fire in either order.
   */
  reading(): MonitorReading {
    const now = this.options.deps.now();
    const waitUs = this.options.deps.cpuWaitTotalUs();
    return {
      atMs: now,
      loopLostMs: this.loop.lostSoFarMs(now),
      cpuWaitMs: waitUs === null ? null : waitUs / 1000,
    };
  }

  judge(start: MonitorReading): WindowJudgement {
    return judgeWindow(start, this.reading(), this.options.limits ?? DEFAULT_IMPAIRMENT_LIMITS);
  }

  /** A check was reported inconclusive: counted for the site state, and the agent counts as impaired. */
  noteInconclusive(detail: string | null): void {
    this.inconclusive += 1;
    this.markImpaired(this.options.deps.now(), detail);
  }

  get impaired(): boolean {
    return this.impairedSinceMs !== null;
  }

  private tick(late: number, now: number): void {
    this.ticks += 1;
    const perSecond = Math.max(1, Math.round(1000 / (this.options.tickMs ?? DEFAULT_TICK_MS)));
    if (this.ticks % perSecond !== 0 && late <= TICK_JITTER_MS) return;
    // Once a second, or at once after a stall.
    const reading = this.reading();
    this.history.push(reading);
    while (this.history.length > 2 && (this.history[0] as MonitorReading).atMs < now - FIGURES_WINDOW_MS)
      this.history.shift();
    const recent = this.history.find((r) => r.atMs >= now - RECENT_WINDOW_MS) ?? reading;
    const judged = judgeWindow(recent, reading, this.options.limits ?? DEFAULT_IMPAIRMENT_LIMITS);
    if (judged.impaired) this.markImpaired(now, judged.detail);
    else if (this.impairedSinceMs !== null) {
      this.clearSinceMs ??= now;
      if (now - this.clearSinceMs >= RECOVERY_MS) {
        this.impairedSinceMs = null;
        this.clearSinceMs = null;
        this.lastDetail = null;
        this.options.onChange(false);
      }
    }
  }

  private markImpaired(now: number, detail: string | null): void {
    this.clearSinceMs = null;
    if (detail) this.lastDetail = detail;
    if (this.impairedSinceMs !== null) return;
    this.impairedSinceMs = now;
    this.options.onChange(true);
  }

  /** The site state's summary: impaired or not, and the last minute's figures. */
  summary(): MonitorHealthPayload {
    const { deps } = this.options;
    const now = this.reading();
    const oldest = this.history[0] ?? now;
    const spanMs = Math.max(1, now.atMs - oldest.atMs);
    const load1 = deps.load1();
    return {
      impaired: this.impairedSinceMs !== null,
      since: this.impairedSinceMs === null ? null : new Date(this.impairedSinceMs).toISOString(),
      detail: this.impairedSinceMs === null ? null : (this.lastDetail?.slice(0, 300) ?? null),
      eventLoopLagMs: Math.round(Math.max(0, now.loopLostMs - oldest.loopLostMs)),
      cpuPressurePct:
        now.cpuWaitMs === null || oldest.cpuWaitMs === null
          ? null
          : Math.min(100, Math.max(0, Math.round(((now.cpuWaitMs - oldest.cpuWaitMs) / spanMs) * 100))),
      load1: load1 === null ? null : Math.round(load1 * 100) / 100,
      cpuCount: Math.max(1, deps.cpuCount()),
      ...this.options.concurrency(),
      inconclusiveChecks: this.inconclusive,
      checkedAt: new Date(now.atMs).toISOString(),
    };
  }
}
