import type { AgentClockHealth } from '../schemas/payloads.ts';

/**
 * The hub's estimate of a site agent's clock against its own, from envelope observedAt and the hub's
 * receive time. delay = receivedAt - observedAt = transit - (agent clock - hub clock), so the smallest
 * delay over a window is the agent's offset (negated) plus the smallest transit time: messages held up
 * in the agent's outbox or the broker only ever add delay, so taking the minimum ignores replays of old
 * data as long as one message in the window went out at once. A message can never arrive before it was
 * observed, so a negative minimum always means the agent clock is ahead.
 */
export interface ClockSample {
  receivedAtMs: number;
  delayMs: number;
  /**
   * An online site state: the agent publishes it at connect and at each clock check, never through
   * its outbox, so its delay is transit only. Retained copies the broker replays are not samples.
   */
  anchor: boolean;
}

export interface ClockWindow {
  samples: ClockSample[];
}

export const emptyClockWindow = (): ClockWindow => ({ samples: [] });

/** Adds samples and forgets those received more than `windowMs` before the newest. */
export function addClockSamples(
  window: ClockWindow,
  added: readonly ClockSample[],
  windowMs: number,
): ClockWindow {
  if (added.length === 0) return window;
  const all = [...window.samples, ...added];
  const newestMs = Math.max(...all.map((s) => s.receivedAtMs));
  // Only the minimum matters, but keep what a later minimum may need: every sample inside the window.
  return { samples: all.filter((s) => s.receivedAtMs > newestMs - windowMs) };
}

export interface ClockEstimate {
  /** Agent clock minus hub clock (positive: agent ahead), bounded by the smallest transit; null: no samples. */
  offsetMs: number | null;
  samples: number;
  /** The window holds an anchor, so a large positive minimum delay is a slow clock, not a replay. */
  anchored: boolean;
}

export function estimateClockOffset(window: ClockWindow): ClockEstimate {
  if (window.samples.length === 0) return { offsetMs: null, samples: 0, anchored: false };
  const minDelayMs = Math.min(...window.samples.map((s) => s.delayMs));
  return {
    offsetMs: minDelayMs === 0 ? 0 : -minDelayMs,
    samples: window.samples.length,
    anchored: window.samples.some((s) => s.anchor),
  };
}

export interface ClockJudgement {
  suspect: boolean;
  reason: string | null;
}

/**
 * Camera clock offsets are measured against the agent's clock, so they are trustworthy only while
 * that clock agrees with the hub's and the agent's OS does not say it lost NTP. An agent clock
 * behind the hub is only believed from a window holding an anchor: without one, every sample may be
 * a replay of old data.
 */
export function judgeAgentClock(
  estimate: ClockEstimate,
  reported: AgentClockHealth | null,
  maxOffsetMs: number,
): ClockJudgement {
  const reasons: string[] = [];
  if (reported?.synchronized === false)
    reasons.push(`the agent reports its clock is not NTP-synchronised (${reported.source})`);
  const offset = estimate.offsetMs;
  if (offset !== null && (offset > maxOffsetMs || (offset < -maxOffsetMs && estimate.anchored))) {
    const s = (Math.abs(offset) / 1000).toFixed(1);
    reasons.push(
      `the agent clock is ${s} s ${offset > 0 ? 'ahead of' : 'behind'} the hub (limit ${maxOffsetMs} ms)`,
    );
  }
  return reasons.length > 0
    ? { suspect: true, reason: reasons.join('; ') }
    : { suspect: false, reason: null };
}
