import { describe, expect, it } from 'vitest';
import { HealthPayload } from '../../../src/schemas/payloads.ts';
import { validate } from '../../../src/validation.ts';

// The hub accepts health samples from agents that predate video analysis, and from newer ones.
const old = {
  cameraId: 'cam-1',
  state: 'up',
  reasons: [],
  responseMs: 12,
  clock: null,
  device: null,
  image: { meanLuma: 120, lumaStdDev: 40, blank: false, dark: false },
};
const video = {
  checkedAt: '2026-12-04T18:00:00.000Z',
  sampleMs: 4000,
  frames: 8,
  frozenShare: 1,
  blackShare: 0,
  blurMethod: 'edgedetect',
  sharpness: 0.012,
  sharpnessRatio: 1.1,
  sceneSsim: 0.99,
  snapshotSsim: 0.8,
  snapshotRepeats: 0,
  frozen: true,
  black: false,
  blurred: null,
  sceneChanged: null,
  snapshotStale: false,
  snapshotMismatch: null,
};

describe('health payload with and without video analysis', () => {
  it.each([
    ['an agent without video analysis', old, true],
    ['video not analysed yet', { ...old, video: null }, true],
    [
      'a frozen stream',
      { ...old, state: 'degraded', reasons: [{ code: 'video_frozen', message: 'frozen' }], video },
      true,
    ],
    ['a share out of range', { ...old, video: { ...video, frozenShare: 1.5 } }, false],
    ['an unknown blur method', { ...old, video: { ...video, blurMethod: 'laplacian' } }, false],
    ['an unknown video field', { ...old, video: { ...video, extra: 1 } }, false],
  ])('%s', (_name, payload, valid) => {
    expect(validate(HealthPayload, payload).ok).toBe(valid);
  });
});
