import { type Static, Type } from '@sinclair/typebox';
import { CameraState, Reason } from './camera-state.ts';
import { Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

/** The longest state history one request returns, in days (the uptime strip covers 90). */
export const HISTORY_MAX_DAYS = 92;
/** At most this many intervals in one answer, newest first; `truncated` says when more were left off. */
export const HISTORY_MAX_INTERVALS = 2000;

export const CameraHistoryQuery = Type.Object(
  {
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
  },
  closed,
);
export type CameraHistoryQuery = Static<typeof CameraHistoryQuery>;

export const CameraStateInterval = Type.Object(
  {
    state: CameraState,
    /** Why the camera was in that state, as recorded when it entered it. */
    reasons: Type.Array(Reason),
    /** Clipped to the window asked for; `clippedFrom` says the interval began earlier. */
    from: IsoTime,
    /** Null while the interval is open (the camera's current state). */
    to: Nullable(IsoTime),
    clippedFrom: Type.Boolean(),
  },
  closed,
);
export type CameraStateInterval = Static<typeof CameraStateInterval>;

export const CameraHistory = Type.Object(
  {
    cameraId: Id,
    from: IsoTime,
    to: IsoTime,
    /** When the hub read the history. */
    evaluatedAt: IsoTime,
    /** Newest first. */
    intervals: Type.Array(CameraStateInterval),
    truncated: Type.Boolean(),
  },
  closed,
);
export type CameraHistory = Static<typeof CameraHistory>;

export const SnapshotRequest = Type.Object(
  {
    /** Why the picture is looked at: written to the audit log with it. */
    reason: Type.String({ minLength: 3, maxLength: 200 }),
  },
  closed,
);
export type SnapshotRequest = Static<typeof SnapshotRequest>;
