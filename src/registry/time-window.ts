/**
 * When a site's observation may have been made: not before its camera (or site) was registered, not
 * older than the replay horizon (what an agent's outbox can hold after an outage), and not more than
 * a small tolerance ahead of the hub's clock. Anything else is a broken clock or an attack: it is
 * refused with a code, never merged into history (a date years back used to rebuild a camera's
 * history hour by hour and stall the hub).
 */
export interface TimeWindow {
  /** The hub's clock when the message arrived. */
  receivedAtMs: number;
  /** When the camera was first seen, or the site registered: nothing before it belongs to this hub. */
  notBeforeMs: number;
  replayHorizonMs: number;
  futureToleranceMs: number;
}

export type TimeRefusal = {
  code: 'OBSERVED_IN_FUTURE' | 'OBSERVED_TOO_OLD' | 'OBSERVED_BEFORE_REGISTRATION';
  message: string;
};

/** Null when `atMs` is inside the window, else why not. */
export function checkObservedAt(atMs: number, window: TimeWindow, field = 'observedAt'): TimeRefusal | null {
  const { receivedAtMs, notBeforeMs, replayHorizonMs, futureToleranceMs } = window;
  if (atMs > receivedAtMs + futureToleranceMs)
    return {
      code: 'OBSERVED_IN_FUTURE',
      message: `${field} is ${seconds(atMs - receivedAtMs)} ahead of the hub's clock (tolerance ${seconds(futureToleranceMs)})`,
    };
  if (atMs < receivedAtMs - replayHorizonMs)
    return {
      code: 'OBSERVED_TOO_OLD',
      message: `${field} is ${seconds(receivedAtMs - atMs)} old, beyond the replay horizon of ${seconds(replayHorizonMs)}`,
    };
  if (atMs < notBeforeMs)
    return {
      code: 'OBSERVED_BEFORE_REGISTRATION',
      message: `${field} is before the camera or site was registered at this hub (${new Date(notBeforeMs).toISOString()})`,
    };
  return null;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
