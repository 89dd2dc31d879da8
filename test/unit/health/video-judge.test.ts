import { describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import { classifyHealth } from '../../../src/health/classify.ts';
import {
  judgeVideo,
  type VideoThresholds,
  videoFaults,
  videoReasons,
} from '../../../src/health/video-judge.ts';
import type { VideoMeasures } from '../../../src/schemas/video-check.ts';

const t: VideoThresholds = {
  minFrozenShare: 0.9,
  minBlackShare: 0.9,
  minSharpnessRatio: 0.5,
  minSceneSsim: 0.5,
  staleSnapshotRepeats: 4,
  minSnapshotSsim: 0.4,
};
const good: VideoMeasures = {
  checkedAt: '2026-12-04T18:00:00.000Z',
  sampleMs: 4000,
  frames: 8,
  frozenShare: 0,
  blackShare: 0,
  blurMethod: 'edgedetect',
  sharpness: 0.012,
  sharpnessRatio: 1.1,
  sceneSsim: 0.78,
  snapshotSsim: 0.82,
  snapshotRepeats: 0,
};

describe('judging video measures', () => {
  it.each([
    ['healthy', {}, []],
    ['frozen', { frozenShare: 1 }, ['frozen']],
    [
      'black (also still: only black is said)',
      { blackShare: 1, frozenShare: 1, sceneSsim: 0, sharpnessRatio: 0 },
      ['black'],
    ],
    ['blurred', { sharpnessRatio: 0.05 }, ['blurred']],
    ['turned away', { sceneSsim: 0.18 }, ['scene_changed']],
    ['stale snapshot', { snapshotRepeats: 4 }, ['snapshot_stale']],
    [
      'stale snapshot of a frozen stream is the freeze only',
      { snapshotRepeats: 9, frozenShare: 1 },
      ['frozen'],
    ],
    ['unrelated snapshot', { snapshotSsim: 0.17 }, ['snapshot_mismatch']],
    [
      'turned away, snapshot from before the turn: the view change only',
      { sceneSsim: 0.18, snapshotSsim: 0.17 },
      ['scene_changed'],
    ],
    ['half a sample frozen is not frozen', { frozenShare: 0.5 }, []],
    [
      'repeated snapshots beside a partly still sample: no proof the stream moves, so not stale',
      { snapshotRepeats: 9, frozenShare: 0.5 },
      [],
    ],
    ['just under the stale count', { snapshotRepeats: 3 }, []],
  ] as const)('%s', (_name, change, faults) => {
    expect(videoFaults(judgeVideo({ ...good, ...change }, t))).toEqual(faults);
  });

  it('leaves blur, view and snapshot unjudged (null) without a reference or snapshot', () => {
    const check = judgeVideo({ ...good, sharpnessRatio: null, sceneSsim: null, snapshotSsim: null }, t);
    expect(check).toMatchObject({ blurred: null, sceneChanged: null, snapshotMismatch: null });
  });

  it('says what was measured against which limit', () => {
    const reasons = videoReasons(judgeVideo({ ...good, sceneSsim: 0.18, sharpnessRatio: 0.05 }, t), t);
    expect(reasons.map((r) => r.message)).toEqual([
      "view blurred or obscured: sharpness 0.05 of the reference frame's (edgedetect), below 0.50",
      'view differs from the commissioned reference: SSIM 0.18, below 0.50',
    ]);
  });

  it('degrades the camera through the health classification, with the agent defaults', () => {
    const thresholds = (defaultsOf(AgentConfig) as AgentConfig).thresholds;
    const video = judgeVideo({ ...good, frozenShare: 1 }, thresholds);
    const result = classifyHealth(
      {
        failure: null,
        clock: null,
        declared: null,
        stream: null,
        image: null,
        commissionedBitrateKbps: null,
        video,
      },
      thresholds,
    );
    expect(result.state).toBe('degraded');
    expect(result.reasons.map((r) => r.code)).toEqual(['video_frozen']);
  });
});
