import type { VideoCheck } from '../../src/schemas/video-check.ts';
import * as fmt from './format.ts';

/** Label, value, field name for tests, and whether the value is a fault (shown as a warning). */
export type VideoRow = [label: string, value: string, field: string, warn?: boolean];

const pct = (share: number) => `${Math.round(share * 100)}%`;
const two = (n: number | null) => (n === null ? 'no reference frame' : n.toFixed(2));

/** The latest video analysis of the stream, in words: each measure next to its verdict. */
export function videoRows(video: VideoCheck, nowMs: number): VideoRow[] {
  return [
    [
      'Video analysed',
      `${fmt.relativeTime(video.checkedAt, nowMs)} (${(video.sampleMs / 1000).toFixed(1)} s, ${video.frames} frames)`,
      'video-checked',
    ],
    [
      'Video frozen',
      `${fmt.yesNo(video.frozen)} (${pct(video.frozenShare)} still)`,
      'video-frozen',
      video.frozen,
    ],
    ['Video black', `${fmt.yesNo(video.black)} (${pct(video.blackShare)} black)`, 'video-black', video.black],
    [
      'Sharpness vs reference',
      `${two(video.sharpnessRatio)} (${video.blurMethod})`,
      'video-sharpness',
      video.blurred === true,
    ],
    ['View vs reference (SSIM)', two(video.sceneSsim), 'video-scene', video.sceneChanged === true],
    [
      'Snapshot vs stream (SSIM)',
      video.snapshotSsim === null ? 'not compared' : video.snapshotSsim.toFixed(2),
      'video-snapshot',
      video.snapshotMismatch === true,
    ],
    [
      'Snapshot repeats',
      `${video.snapshotRepeats}${video.snapshotStale ? ' (stale)' : ''}`,
      'video-snapshot-repeats',
      video.snapshotStale,
    ],
  ];
}
