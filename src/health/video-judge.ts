import type { Reason } from '../schemas/camera-state.ts';
import type { VideoCheck, VideoFault, VideoMeasures } from '../schemas/video-check.ts';

/**
 * Limits that turn video measures into faults. The agent judges with its own (for the live state);
 * a certification code judges the same measures with the limits its rule states.
 */
export interface VideoThresholds {
  /** Share of the sample frozen (freezedetect) from which the stream counts as frozen. */
  minFrozenShare: number;
  /** Share of the sample black (blackdetect) from which the stream counts as black. */
  minBlackShare: number;
  /** Sharpness over the reference frame's below which the view counts as blurred or obscured. */
  minSharpnessRatio: number;
  /** Best SSIM against the reference frame below which the view counts as changed (turned away). */
  minSceneSsim: number;
  /** Consecutive byte-identical snapshots, while the stream moves, from which the snapshot is stale. */
  staleSnapshotRepeats: number;
  /** Best SSIM between stream and snapshot below which the snapshot shows something else. */
  minSnapshotSsim: number;
}

export function judgeVideo(m: VideoMeasures, t: VideoThresholds): VideoCheck {
  const black = m.frames > 0 && m.blackShare >= t.minBlackShare;
  // Black video is also still; saying "frozen" too would only repeat it.
  const frozen = m.frames > 0 && !black && m.frozenShare >= t.minFrozenShare;
  // A black or frozen stream says nothing about focus, view or snapshot: those faults would only echo it.
  const moving = !frozen && !black;
  const sceneChanged = m.sceneSsim === null || !moving ? null : m.sceneSsim < t.minSceneSsim;
  return {
    ...m,
    frozen,
    black,
    blurred: m.sharpnessRatio === null || !moving ? null : m.sharpnessRatio < t.minSharpnessRatio,
    sceneChanged,
    // A stale snapshot is one that repeats while the stream is seen to move: a sample with any still
    // stretch (even one short of the frozen limit) is no such proof, so it claims nothing about staleness.
    snapshotStale: moving && m.frozenShare === 0 && m.snapshotRepeats >= t.staleSnapshotRepeats,
    // The snapshot compared may predate the analysis by up to a snapshot period: once the view itself has
    // changed, a snapshot unlike it may only be older, so the view change is what is reported.
    snapshotMismatch:
      m.snapshotSsim === null || !moving || sceneChanged === true ? null : m.snapshotSsim < t.minSnapshotSsim,
  };
}

export function videoFaults(check: VideoCheck): VideoFault[] {
  const faults: VideoFault[] = [];
  if (check.frozen) faults.push('frozen');
  if (check.black) faults.push('black');
  if (check.blurred) faults.push('blurred');
  if (check.sceneChanged) faults.push('scene_changed');
  if (check.snapshotStale) faults.push('snapshot_stale');
  if (check.snapshotMismatch) faults.push('snapshot_mismatch');
  return faults;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
const two = (n: number | null) => (n === null ? '?' : n.toFixed(2));

/** One reason per fault, saying what was measured against which limit. */
export function videoReasons(check: VideoCheck, t: VideoThresholds): Reason[] {
  const seconds = `${(check.sampleMs / 1000).toFixed(1)} s`;
  const reasons: Reason[] = [];
  for (const fault of videoFaults(check)) {
    switch (fault) {
      case 'frozen':
        reasons.push({
          code: 'video_frozen',
          message: `video frozen for ${pct(check.frozenShare)} of a ${seconds} sample (limit ${pct(t.minFrozenShare)})`,
        });
        break;
      case 'black':
        reasons.push({
          code: 'video_black',
          message: `video black for ${pct(check.blackShare)} of a ${seconds} sample (limit ${pct(t.minBlackShare)})`,
        });
        break;
      case 'blurred':
        reasons.push({
          code: 'video_blurred',
          message: `view blurred or obscured: sharpness ${two(check.sharpnessRatio)} of the reference frame's (${check.blurMethod}), below ${two(t.minSharpnessRatio)}`,
        });
        break;
      case 'scene_changed':
        reasons.push({
          code: 'scene_changed',
          message: `view differs from the commissioned reference: SSIM ${two(check.sceneSsim)}, below ${two(t.minSceneSsim)}`,
        });
        break;
      case 'snapshot_stale':
        reasons.push({
          code: 'snapshot_stale',
          message: `snapshot unchanged over ${check.snapshotRepeats + 1} checks while the stream moves`,
        });
        break;
      case 'snapshot_mismatch':
        reasons.push({
          code: 'snapshot_mismatch',
          message: `snapshot unlike the stream: SSIM ${two(check.snapshotSsim)}, below ${two(t.minSnapshotSsim)}`,
        });
        break;
    }
  }
  return reasons;
}
