/**
 * Whether a check that ran out of time says anything about the camera, or only about the monitor.
 *
 * A deadline is a timer in the monitor's own process: when the monitor is starved (its event loop
 * stalled behind other work, or its CPU share taken by something else) the timer fires late or the
 * answer waits unread, and a healthy camera looks silent. A timeout whose window the monitor lost a
 * material part of is inconclusive: `unknown` with reason `monitor_impaired`, never `down` (DESIGN,
 * "Evidence": a council's availability must not depend on how busy the monitor was). A definite
 * failure (connection refused, credentials rejected, an error reply) is the camera's answer and stands
 * whatever the load.
 */

/**
 * Cumulative counters read at a moment; a check reads one when it starts and one when it fails, and
 * the difference is what the monitor lost in between.
 */
export interface MonitorReading {
  atMs: number;
  /** Event-loop delay so far: time the loop's own timer fired late, summed. */
  loopLostMs: number;
  /**
   * The monitor's CPU pressure so far: time at least one runnable task of its own cgroup (itself and
   * its child processes) waited for a CPU (Linux PSI `cpu.pressure` "some" total). Null where the
   * monitor has no cgroup of its own or the kernel has no PSI.
   */
  cpuWaitMs: number | null;
}

export interface ImpairmentLimits {
  /**
   * Share of a window the event loop may lose before the window's timeout is inconclusive. At 0.2 a
   * camera that answered within four fifths of its deadline would still have been seen.
   */
  maxLoopLostShare: number;
  /**
   * Share of a window the monitor's tasks may wait for a CPU before the window's timeout is inconclusive.
   * At 0.5, for most of the window every probe and poll competed with other work for a CPU.
   */
  maxCpuWaitShare: number;
}

export const DEFAULT_IMPAIRMENT_LIMITS: ImpairmentLimits = { maxLoopLostShare: 0.2, maxCpuWaitShare: 0.5 };

export interface WindowJudgement {
  impaired: boolean;
  windowMs: number;
  loopLostMs: number;
  /** Null where there is no CPU pressure figure. */
  cpuWaitShare: number | null;
  /** Plain words for people: what the monitor lost in the window; null when it lost nothing material. */
  detail: string | null;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Judges the monitor's own health over the window between two readings. */
export function judgeWindow(
  start: MonitorReading,
  end: MonitorReading,
  limits: ImpairmentLimits = DEFAULT_IMPAIRMENT_LIMITS,
): WindowJudgement {
  const windowMs = Math.max(0, end.atMs - start.atMs);
  const loopLostMs = Math.max(0, end.loopLostMs - start.loopLostMs);
  const cpuWaitShare =
    start.cpuWaitMs === null || end.cpuWaitMs === null || windowMs === 0
      ? null
      : Math.min(1, Math.max(0, end.cpuWaitMs - start.cpuWaitMs) / windowMs);
  const parts: string[] = [];
  // A window of zero length lost nothing; a loop that stalled for all of it lost everything.
  if (windowMs > 0 && loopLostMs >= limits.maxLoopLostShare * windowMs)
    parts.push(`its event loop was stalled for ${seconds(loopLostMs)} of the ${seconds(windowMs)} window`);
  if (cpuWaitShare !== null && cpuWaitShare >= limits.maxCpuWaitShare)
    parts.push(`its processes waited for a CPU for ${Math.round(cpuWaitShare * 100)}% of the window`);
  return {
    impaired: parts.length > 0,
    windowMs,
    loopLostMs,
    cpuWaitShare,
    detail: parts.length > 0 ? parts.join('; ') : null,
  };
}

/**
 * A failed check's verdict: `inconclusive` when the failure was a deadline expiring while the monitor
 * was impaired, `definite` otherwise (the failure stands as the camera's).
 */
export type CheckVerdict = { kind: 'definite' } | { kind: 'inconclusive'; message: string };

export function judgeFailedCheck(
  failure: { deadlineExpired: boolean; message: string },
  window: WindowJudgement,
): CheckVerdict {
  if (!failure.deadlineExpired || !window.impaired) return { kind: 'definite' };
  return {
    kind: 'inconclusive',
    message: `inconclusive, not counted against the camera: ${failure.message}, but the monitor itself was impaired (${window.detail})`,
  };
}
