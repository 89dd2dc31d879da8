import { type Static, Type } from '@sinclair/typebox';
import { IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;
const Share = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });

/**
 * What a few seconds of the camera's decoded stream showed, measured with ffmpeg's own filters
 * (freezedetect, blackdetect, blurdetect or edgedetect, ssim). The measures travel with the verdicts so
 * the hub can judge them again against a certification code's own thresholds.
 */
export const VideoCheck = Type.Object(
  {
    checkedAt: IsoTime,
    sampleMs: Type.Number({ minimum: 0, description: 'Stream time analysed' }),
    frames: Type.Integer({ minimum: 0, description: 'Decoded frames analysed' }),
    frozenShare: Share('Share of the sample freezedetect found frozen'),
    blackShare: Share('Share of the sample blackdetect found black'),
    blurMethod: Type.Union([Type.Literal('blurdetect'), Type.Literal('edgedetect')], {
      description: "blurdetect where the agent's ffmpeg has it, else edge density (edgedetect + signalstats)",
    }),
    sharpness: Nullable(
      Type.Number({
        minimum: 0,
        description: 'Median over the sample: edge share, or 1/blur for blurdetect',
      }),
    ),
    sharpnessRatio: Nullable(
      Type.Number({ minimum: 0, description: 'Sharpness over the commissioning reference frame’s' }),
    ),
    sceneSsim: Nullable(
      Share('Best SSIM of the sample against the commissioning reference frame; null: no reference'),
    ),
    snapshotSsim: Nullable(Share('Best SSIM of the sample against the latest snapshot; null: none compared')),
    snapshotRepeats: Type.Integer({
      minimum: 0,
      description:
        'Consecutive snapshot checks whose JPEG was byte-identical to the one before, counted once an analysis during the run saw the stream',
    }),
    frozen: Type.Boolean(),
    black: Type.Boolean(),
    blurred: Nullable(Type.Boolean({ description: 'null: no reference to compare with' })),
    sceneChanged: Nullable(Type.Boolean({ description: 'null: no reference to compare with' })),
    snapshotStale: Type.Boolean(),
    snapshotMismatch: Nullable(Type.Boolean({ description: 'null: no snapshot compared' })),
  },
  closed,
);
export type VideoCheck = Static<typeof VideoCheck>;

/** The measures alone, before any threshold is applied. */
export type VideoMeasures = Omit<
  VideoCheck,
  'frozen' | 'black' | 'blurred' | 'sceneChanged' | 'snapshotStale' | 'snapshotMismatch'
>;

export const VIDEO_FAULTS = [
  'frozen',
  'black',
  'blurred',
  'scene_changed',
  'snapshot_stale',
  'snapshot_mismatch',
] as const;
export const VideoFault = Type.Union(VIDEO_FAULTS.map((f) => Type.Literal(f)));
export type VideoFault = Static<typeof VideoFault>;
