import type { Reason, ReasonCode } from '../../src/schemas/camera-state.ts';

/**
 * A reason as people read it: what is wrong, in words, first; the agent's technical text (socket
 * errors, addresses, ffmpeg's messages) kept as detail for whoever fixes it. Reasons whose message is
 * already written for people (clock offsets, frame rates, video faults) are shown as they are.
 */
export interface ReasonWords {
  summary: string;
  /** The agent's own text and the code, when the summary does not already say it. */
  detail: string | null;
}

/** Codes whose message is the agent's technical text rather than a sentence for people. */
const PLAIN: Partial<Record<ReasonCode, string>> = {
  unreachable: 'Not answering on the network',
  timeout: 'No answer in time',
  auth_failed: "Refused the monitor's user name or password",
  onvif_error: 'Its ONVIF service answered with an error',
  no_video: 'No video from its stream',
  stream_error: 'Its stream could not be read',
  sub_stream_error: 'A secondary stream (sub-stream) gives no video',
  site_offline: "The site's link or monitor is offline",
  stale: 'No recent data from the site',
  monitor_impaired: "Not judged: the site's monitor was overloaded at the time",
  hub_link_down: "The link to the camera's own hub is down: its state is not known here",
};

export function reasonWords(reason: Reason): ReasonWords {
  const plain = PLAIN[reason.code];
  if (plain === undefined) return { summary: reason.message || reason.code, detail: null };
  const message = reason.message.trim();
  return { summary: plain, detail: message ? `${message} (${reason.code})` : reason.code };
}

/** One line for a table cell, and the full text for its tooltip. */
export function reasonsLine(reasons: readonly Reason[]): { text: string; title: string } {
  const words = reasons.map(reasonWords);
  return {
    text: words.map((w) => w.summary).join('; '),
    title: words.map((w) => (w.detail ? `${w.summary}: ${w.detail}` : w.summary)).join('\n'),
  };
}
