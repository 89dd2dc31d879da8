import { type Static, Type } from '@sinclair/typebox';
import { CameraView } from './api.ts';
import { Id, IsoTime } from './common.ts';
import { SourceView } from './sources.ts';

/**
 * What one hub tells another about its cameras (a network of hubs, DESIGN): status and geometry
 * only, never council data. A sharing hub numbers its messages to each peer (seq) within an epoch
 * (a random id per start of its publisher); a receiver that sees a gap, a new epoch or a long
 * silence takes a full snapshot over HTTP and carries on from its seq.
 */

const Epoch = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** Most cameras in one change message; more are split over several. */
export const MAX_CAMERAS_PER_MESSAGE = 500;
/** Most mobile sources in one change message (each may carry up to 2,000 track points). */
export const MAX_SOURCES_PER_MESSAGE = 10;
/** Most mobile sources one share carries (a snapshot holds each with its track): narrow a share by unit. */
export const MAX_SHARED_SOURCES = 1000;

export const FederationChanges = Type.Object(
  {
    v: Type.Literal(1),
    epoch: Epoch,
    seq: Seq,
    sentAt: IsoTime,
    cameras: Type.Array(CameraView, { maxItems: MAX_CAMERAS_PER_MESSAGE }),
    /** Cameras no longer shared (retired, or out of the sharing policy). */
    removed: Type.Array(Id, { maxItems: MAX_CAMERAS_PER_MESSAGE }),
    /**
     * Mobile sources shared with the peer (an agreement between forces) whose view changed: each
     * `track` holds only the points added since the last message to that peer (the receiver appends).
     */
    sources: Type.Optional(Type.Array(SourceView, { maxItems: MAX_SOURCES_PER_MESSAGE })),
    /** Sources no longer shared (retired, or out of the policy). */
    removedSources: Type.Optional(Type.Array(Id, { maxItems: MAX_CAMERAS_PER_MESSAGE })),
  },
  { additionalProperties: false },
);
export type FederationChanges = Static<typeof FederationChanges>;

export const FederationHeartbeat = Type.Object(
  {
    v: Type.Literal(1),
    epoch: Epoch,
    /** The seq of the last change message sent before this heartbeat. */
    seq: Seq,
    sentAt: IsoTime,
    cameraCount: Type.Integer({ minimum: 0 }),
    /** Sources the peer should hold (absent: none). */
    sourceCount: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type FederationHeartbeat = Static<typeof FederationHeartbeat>;

export const FederationSnapshot = Type.Object(
  {
    hub: Id,
    epoch: Epoch,
    seq: Seq,
    at: IsoTime,
    cameras: Type.Array(CameraView),
    /** Shared sources, each with its whole track of the last minutes. */
    sources: Type.Optional(Type.Array(SourceView, { maxItems: MAX_SHARED_SOURCES })),
  },
  { additionalProperties: false },
);
export type FederationSnapshot = Static<typeof FederationSnapshot>;

export const LinkState = Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('connecting')], {
  description:
    'up: heartbeats arrive and the cameras are in step; down: silent longer than federation.linkTimeoutMs (its cameras show as unknown); connecting: not heard from since this hub started',
});

export const LinkStatus = Type.Object(
  {
    hub: Id,
    state: LinkState,
    since: IsoTime,
    lastHeardAt: Type.Union([IsoTime, Type.Null()]),
    cameras: Type.Integer({ minimum: 0 }),
    sources: Type.Integer({ minimum: 0, description: 'Mobile sources the hub shares with this one' }),
    snapshots: Type.Integer({ minimum: 0, description: 'Full snapshots taken since this hub started' }),
    refused: Type.Integer({
      minimum: 0,
      description: 'Messages and cameras of this link refused since this hub started (see the log for why)',
    }),
    lastError: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type LinkStatus = Static<typeof LinkStatus>;
