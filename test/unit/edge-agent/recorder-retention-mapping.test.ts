import { describe, expect, it } from 'vitest';
import type { RecordingRetention } from '../../../edge-agent/src/onvif/recording-search.ts';
import { retentionByCamera } from '../../../edge-agent/src/recorder/retention-mapping.ts';

const DAY_MS = 86_400_000;
const now = Date.parse('2026-12-04T20:00:00Z');

const rec = (token: string, days: number | undefined): RecordingRetention => ({
  recordingToken: token,
  sourceId: token,
  sourceName: token,
  earliestRecordingMs: days === undefined ? undefined : now - days * DAY_MS,
  latestRecordingMs: now,
  status: 'Recording',
  tracks: [],
});

describe('retentionByCamera', () => {
  const nvr = [rec('CH01', 31), rec('CH02', 30.5), rec('CH03', undefined)];
  it.each([
    ['a mapped channel', nvr, { cameraId: 'a', recordingToken: 'CH01' }, 31],
    ['a channel just short of 31 days', nvr, { cameraId: 'b', recordingToken: 'CH02' }, 30],
    ['a channel without data', nvr, { cameraId: 'c', recordingToken: 'CH03' }, undefined],
    ['a token the recorder does not hold', nvr, { cameraId: 'd', recordingToken: 'CH09' }, undefined],
    ['no token on a multi-recording device', nvr, { cameraId: 'e' }, undefined],
    ['no token on a camera with one recording', [rec('SD', 40)], { cameraId: 'f' }, 40],
  ])('%s', (_name, recordings, camera, expected) => {
    const out = retentionByCamera(recordings, [camera], now);
    expect(out[0]?.daysRetained).toBe(expected);
    if (expected !== undefined) expect(out[0]).toMatchObject({ cameraId: camera.cameraId, checkedAtMs: now });
  });
});
