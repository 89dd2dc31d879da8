import type { AgentConfig } from '../config/agent-config.ts';
import type { ObservedState, Reason, ReasonCode } from '../schemas/camera-state.ts';
import type { ClockReading, DeclaredProfile, ImageCheck, StreamPayload } from '../schemas/payloads.ts';
import type { VideoCheck } from '../schemas/video-check.ts';
import { videoReasons } from './video-judge.ts';

export type HealthThresholds = AgentConfig['thresholds'];

/** Failures that stop a poll before it could look at the camera's settings. */
export type PollFailureCode = Extract<ReasonCode, 'unreachable' | 'timeout' | 'auth_failed' | 'onvif_error'>;

export type StreamObservation =
  | ({ ok: true } & Pick<StreamPayload, 'codec' | 'width' | 'height' | 'fps' | 'bitrateKbps'>)
  | { ok: false; code: Extract<ReasonCode, 'no_video' | 'stream_error'>; message: string };

export interface HealthObservation {
  failure: { code: PollFailureCode; message: string } | null;
  clock: ClockReading | null;
  declared: DeclaredProfile | null;
  /** Latest stream probe still considered fresh; null when none has run yet. */
  stream: StreamObservation | null;
  image: ImageCheck | null;
  /** From commissioning; when absent bitrate is not judged. */
  commissionedBitrateKbps: number | null;
  /** Latest video analysis of the stream, judged; absent or null when none has run. */
  video?: VideoCheck | null;
  /** Secondary profiles whose latest (fresh) probe failed: each degrades the camera on its own. */
  subStreamFailures?: { token: string; message: string }[];
}

export interface Classification {
  state: ObservedState;
  reasons: Reason[];
}

/** Measured frame rate may sit a little under the profile's limit over a short sample. */
export const FPS_TOLERANCE = 0.15;
/** DESIGN reference table: bitrate >= 50% of commissioned. */
export const MIN_BITRATE_SHARE = 0.5;

const DOWN_CODES = new Set<ReasonCode>(['unreachable', 'timeout', 'auth_failed', 'no_video', 'stream_error']);

function seconds(ms: number): string {
  const s = Math.abs(ms) / 1000;
  return `${Number.isInteger(s) || s >= 100 ? s.toFixed(0) : s.toFixed(1)} s`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Codec names differ between ONVIF (`H264`, `H265`) and ffprobe (`h264`, `hevc`). */
export function normaliseCodec(name: string): string {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n === 'hevc' || n === 'h265') return 'h265';
  if (n === 'avc' || n === 'h264') return 'h264';
  if (n === 'jpeg' || n === 'mjpeg') return 'mjpeg';
  return n;
}

function clockReasons(clock: ClockReading, t: HealthThresholds): Reason[] {
  const reasons: Reason[] = [];
  const offset = Math.abs(clock.offsetMs);
  if (offset > t.clockWarnMs) {
    const limit = offset > t.clockFailMs ? t.clockFailMs : t.clockWarnMs;
    const sign = clock.offsetMs > 0 ? '+' : '-';
    reasons.push({
      code: 'clock_offset',
      message: `clock offset ${sign}${seconds(clock.offsetMs)} exceeds ${seconds(limit)}${offset > t.clockFailMs ? ' (fail limit)' : ''}`,
    });
  }
  if (clock.dateTimeType === 'Manual') {
    reasons.push({ code: 'clock_no_ntp', message: 'clock is set manually, not by NTP' });
  }
  if (clock.timeZone !== null && clock.timeZone !== t.expectedTimeZone) {
    reasons.push({
      code: 'clock_timezone',
      message: `time zone ${clock.timeZone} differs from expected ${t.expectedTimeZone}`,
    });
  }
  return reasons;
}

function streamReasons(
  stream: Extract<StreamObservation, { ok: true }>,
  declared: DeclaredProfile | null,
  commissionedBitrateKbps: number | null,
  t: HealthThresholds,
): Reason[] {
  const reasons: Reason[] = [];
  if (stream.fps !== null && stream.fps < t.minFps) {
    reasons.push({
      code: 'low_fps',
      message: `frame rate ${fmt(stream.fps)} fps is below minimum ${fmt(t.minFps)} fps`,
    });
  } else if (stream.fps !== null && declared?.fps && stream.fps < declared.fps * (1 - FPS_TOLERANCE)) {
    reasons.push({
      code: 'low_fps',
      message: `frame rate ${fmt(stream.fps)} fps is below the ${fmt(declared.fps)} fps the profile declares`,
    });
  }
  if (
    declared &&
    declared.width > 0 &&
    (stream.width !== declared.width || stream.height !== declared.height)
  ) {
    reasons.push({
      code: 'resolution_mismatch',
      message: `stream is ${stream.width}x${stream.height}, profile declares ${declared.width}x${declared.height}`,
    });
  }
  if (declared?.encoding && normaliseCodec(declared.encoding) !== normaliseCodec(stream.codec)) {
    reasons.push({
      code: 'codec_mismatch',
      message: `stream codec ${stream.codec} differs from declared ${declared.encoding}`,
    });
  }
  if (
    commissionedBitrateKbps !== null &&
    stream.bitrateKbps !== null &&
    stream.bitrateKbps < commissionedBitrateKbps * MIN_BITRATE_SHARE
  ) {
    reasons.push({
      code: 'low_bitrate',
      message: `bitrate ${fmt(stream.bitrateKbps)} kbit/s is below ${MIN_BITRATE_SHARE * 100}% of commissioned ${fmt(commissionedBitrateKbps)} kbit/s`,
    });
  }
  return reasons;
}

function imageReasons(image: ImageCheck, t: HealthThresholds): Reason[] {
  const reasons: Reason[] = [];
  if (image.blank) {
    reasons.push({
      code: 'image_blank',
      message: `image is blank: luma spread ${fmt(image.lumaStdDev)} is below ${fmt(t.blankLumaStdDev)}`,
    });
  }
  if (image.dark) {
    reasons.push({
      code: 'image_dark',
      message: `image is dark: mean luma ${fmt(image.meanLuma)} is below ${fmt(t.darkMeanLuma)}`,
    });
  }
  return reasons;
}

/**
 * One poll's observations -> observed state. down: the camera cannot be reached, refuses us, or gives no
 * video. degraded: reachable but out of spec (clock, frame rate, resolution, codec, bitrate, image) or its
 * ONVIF service misbehaves. up: nothing wrong found. Every reason says what and by how much.
 */
export function classifyHealth(obs: HealthObservation, t: HealthThresholds): Classification {
  const reasons: Reason[] = [];
  if (obs.failure) reasons.push({ code: obs.failure.code, message: obs.failure.message.slice(0, 500) });
  if (obs.clock) reasons.push(...clockReasons(obs.clock, t));
  const unreachable = obs.failure !== null && obs.failure.code !== 'onvif_error';
  if (!unreachable && obs.stream) {
    if (obs.stream.ok)
      reasons.push(...streamReasons(obs.stream, obs.declared, obs.commissionedBitrateKbps, t));
    else reasons.push({ code: obs.stream.code, message: obs.stream.message.slice(0, 500) });
  }
  if (!unreachable && obs.image) reasons.push(...imageReasons(obs.image, t));
  if (!unreachable && obs.video) reasons.push(...videoReasons(obs.video, t));
  if (!unreachable)
    for (const f of obs.subStreamFailures ?? [])
      reasons.push({
        code: 'sub_stream_error',
        message: `sub-stream ${f.token}: ${f.message}`.slice(0, 500),
      });
  const state: ObservedState = reasons.some((r) => DOWN_CODES.has(r.code))
    ? 'down'
    : reasons.length > 0
      ? 'degraded'
      : 'up';
  return { state, reasons: reasons.slice(0, 20) };
}
