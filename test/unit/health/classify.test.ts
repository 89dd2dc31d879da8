import { describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import { classifyHealth, type HealthObservation, normaliseCodec } from '../../../src/health/classify.ts';

const thresholds = (defaultsOf(AgentConfig) as AgentConfig).thresholds;

const good: HealthObservation = {
  failure: null,
  clock: {
    offsetMs: 120,
    roundTripMs: 4,
    dateTimeType: 'NTP',
    timeZone: thresholds.expectedTimeZone,
    daylightSavings: true,
  },
  declared: { token: 'main', encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 },
  stream: { ok: true, codec: 'h264', width: 1920, height: 1080, fps: 24.8, bitrateKbps: 3900 },
  image: { meanLuma: 110, lumaStdDev: 45, blank: false, dark: false },
  commissionedBitrateKbps: 4000,
};

const cases: {
  name: string;
  change: Partial<HealthObservation>;
  state: string;
  codes: string[];
  message?: RegExp;
}[] = [
  { name: 'all good', change: {}, state: 'up', codes: [] },
  { name: 'no probe yet, no image', change: { stream: null, image: null }, state: 'up', codes: [] },
  {
    name: 'a failed sub-stream degrades, naming its profile, while the main stream works',
    change: { subStreamFailures: [{ token: 'profile_sub', message: '404 Not Found' }] },
    state: 'degraded',
    codes: ['sub_stream_error'],
    message: /^sub-stream profile_sub: 404 Not Found$/,
  },
  {
    name: 'an unreachable camera is down for that, not for its sub-streams',
    change: {
      failure: { code: 'unreachable', message: 'ECONNREFUSED' },
      clock: null,
      subStreamFailures: [{ token: 'profile_sub', message: 'connection refused' }],
    },
    state: 'down',
    codes: ['unreachable'],
  },
  {
    name: 'unreachable',
    change: { failure: { code: 'unreachable', message: 'ECONNREFUSED' }, clock: null },
    state: 'down',
    codes: ['unreachable'],
  },
  {
    name: 'timeout hides stale stream and image findings',
    change: {
      failure: { code: 'timeout', message: 'no answer within 5000 ms' },
      clock: null,
      image: { meanLuma: 0, lumaStdDev: 0, blank: true, dark: true },
    },
    state: 'down',
    codes: ['timeout'],
  },
  {
    name: 'auth failed',
    change: { failure: { code: 'auth_failed', message: 'NotAuthorized' } },
    state: 'down',
    codes: ['auth_failed'],
  },
  {
    name: 'onvif error only',
    change: { failure: { code: 'onvif_error', message: 'HTTP 500' } },
    state: 'degraded',
    codes: ['onvif_error'],
  },
  {
    name: 'no video',
    change: { stream: { ok: false, code: 'no_video', message: 'no video within 10000 ms' } },
    state: 'down',
    codes: ['no_video'],
  },
  {
    name: 'clock offset over warn',
    change: { clock: { ...good.clock!, offsetMs: 2_400 } },
    state: 'degraded',
    codes: ['clock_offset'],
    message: /clock offset \+2\.4 s exceeds 1 s$/,
  },
  {
    name: 'clock offset over fail, behind',
    change: { clock: { ...good.clock!, offsetMs: -7_200 } },
    state: 'degraded',
    codes: ['clock_offset'],
    message: /clock offset -7\.2 s exceeds 5 s \(fail limit\)/,
  },
  {
    name: 'clock exactly at warn is fine',
    change: { clock: { ...good.clock!, offsetMs: 1_000 } },
    state: 'up',
    codes: [],
  },
  {
    name: 'manual clock',
    change: { clock: { ...good.clock!, dateTimeType: 'Manual' } },
    state: 'degraded',
    codes: ['clock_no_ntp'],
  },
  {
    name: 'wrong time zone',
    change: { clock: { ...good.clock!, timeZone: 'CST-8' } },
    state: 'degraded',
    codes: ['clock_timezone'],
    message: /time zone CST-8 differs from expected GMT0BST/,
  },
  {
    name: 'unknown time zone is not judged',
    change: { clock: { ...good.clock!, timeZone: null } },
    state: 'up',
    codes: [],
  },
  {
    name: 'fps below minimum',
    change: { stream: { ok: true, codec: 'h264', width: 1920, height: 1080, fps: 4, bitrateKbps: 3900 } },
    state: 'degraded',
    codes: ['low_fps'],
    message: /frame rate 4 fps is below minimum 6 fps/,
  },
  {
    name: 'fps below declared',
    change: { stream: { ok: true, codec: 'h264', width: 1920, height: 1080, fps: 10, bitrateKbps: 3900 } },
    state: 'degraded',
    codes: ['low_fps'],
    message: /10 fps is below the 25 fps the profile declares/,
  },
  {
    name: 'resolution differs from profile',
    change: { stream: { ok: true, codec: 'h264', width: 1280, height: 720, fps: 25, bitrateKbps: 3900 } },
    state: 'degraded',
    codes: ['resolution_mismatch'],
    message: /stream is 1280x720, profile declares 1920x1080/,
  },
  {
    name: 'codec differs',
    change: { stream: { ok: true, codec: 'hevc', width: 1920, height: 1080, fps: 25, bitrateKbps: 3900 } },
    state: 'degraded',
    codes: ['codec_mismatch'],
  },
  {
    name: 'bitrate under half of commissioned',
    change: { stream: { ok: true, codec: 'h264', width: 1920, height: 1080, fps: 25, bitrateKbps: 1500 } },
    state: 'degraded',
    codes: ['low_bitrate'],
  },
  {
    name: 'blank image',
    change: { image: { meanLuma: 16, lumaStdDev: 0.5, blank: true, dark: true } },
    state: 'degraded',
    codes: ['image_blank', 'image_dark'],
  },
  {
    name: 'several at once keep their order',
    change: {
      clock: { ...good.clock!, offsetMs: 10_000, dateTimeType: 'Manual' },
      image: { meanLuma: 120, lumaStdDev: 1, blank: true, dark: false },
    },
    state: 'degraded',
    codes: ['clock_offset', 'clock_no_ntp', 'image_blank'],
  },
];

describe('classifyHealth', () => {
  it.each(cases)('$name -> $state', ({ change, state, codes, message }) => {
    const result = classifyHealth({ ...good, ...change }, thresholds);
    expect(result.state).toBe(state);
    expect(result.reasons.map((r) => r.code)).toEqual(codes);
    if (message) expect(result.reasons[0]?.message).toMatch(message);
  });

  it('normalises codec names between ONVIF and ffprobe', () => {
    expect(normaliseCodec('H264')).toBe(normaliseCodec('h264'));
    expect(normaliseCodec('H265')).toBe(normaliseCodec('hevc'));
    expect(normaliseCodec('JPEG')).toBe(normaliseCodec('mjpeg'));
  });
});
