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

/**
 * A sliding window's smallest delay, kept as a monotonic queue: only samples that are, or may yet
 * become, the smallest delay in the window (each later sample has a larger delay; a sample with a
 * smaller or equal delay received after it makes it useless, as it would leave the window first).
 * The front is the minimum. A busy site sends tens of thousands of messages in the window; this
 * keeps a handful of them.
 */
export interface ClockWindow {
  candidates: ClockSample[];
  /** The newest receive time added, which the window is measured back from. */
  newestMs: number | null;
  /** The newest anchor's receive time while it is inside the window. */
  anchorAtMs: number | null;
}

export const emptyClockWindow = (): ClockWindow => ({ candidates: [], newestMs: null, anchorAtMs: null });

/** Adds samples (in the order received) and forgets those received more than `windowMs` before the newest. */
export function addClockSamples(
  window: ClockWindow,
  added: readonly ClockSample[],
  windowMs: number,
): ClockWindow {
  if (added.length === 0) return window;
  const candidates = [...window.candidates];
  let newestMs = window.newestMs ?? Number.NEGATIVE_INFINITY;
  let anchorAtMs = window.anchorAtMs ?? Number.NEGATIVE_INFINITY;
  for (const sample of added) {
    newestMs = Math.max(newestMs, sample.receivedAtMs);
    if (sample.anchor) anchorAtMs = Math.max(anchorAtMs, sample.receivedAtMs);
    while (
      candidates.length > 0 &&
      (candidates[candidates.length - 1] as ClockSample).delayMs >= sample.delayMs
    )
      candidates.pop();
    candidates.push(sample);
  }
  const fromMs = newestMs - windowMs;
  let expired = 0;
  while (expired < candidates.length && (candidates[expired] as ClockSample).receivedAtMs <= fromMs)
    expired++;
  return {
    candidates: expired > 0 ? candidates.slice(expired) : candidates,
    newestMs,
    anchorAtMs: anchorAtMs > fromMs ? anchorAtMs : null,
  };
}

export interface ClockEstimate {
  /** Agent clock minus hub clock (positive: agent ahead), bounded by the smallest transit; null: no samples. */
  offsetMs: number | null;
  /** The window holds an anchor, so a large positive minimum delay is a slow clock, not a replay. */
  anchored: boolean;
}

export function estimateClockOffset(window: ClockWindow): ClockEstimate {
  const smallest = window.candidates[0];
  if (!smallest) return { offsetMs: null, anchored: false };
  return { offsetMs: smallest.delayMs === 0 ? 0 : -smallest.delayMs, anchored: window.anchorAtMs !== null };
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
