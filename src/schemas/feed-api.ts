import { type Static, Type } from '@sinclair/typebox';
import { Id, IsoTime, Nullable } from './common.ts';
import { INCIDENT_REF_PATTERN } from './incident-ref.ts';

const closed = { additionalProperties: false } as const;

export const FeedOpen = Type.Object(
  {
    cameraId: Id,
    incidentRef: Type.String({
      minLength: 3,
      maxLength: 64,
      pattern: `^${INCIDENT_REF_PATTERN}$`,
      description: 'The police incident or log reference the feed is pulled for',
    }),
    reason: Type.String({ minLength: 3, maxLength: 500, description: 'Why the feed is needed' }),
  },
  closed,
);
export type FeedOpen = Static<typeof FeedOpen>;

export const FeedStatus = Type.Union([
  Type.Literal('starting'),
  Type.Literal('live'),
  Type.Literal('failed'),
  Type.Literal('ended'),
]);

export const FeedSessionView = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    cameraId: Id,
    siteId: Id,
    councilId: Nullable(Id),
    user: Type.String(),
    incidentRef: Type.String(),
    reason: Type.String(),
    startedAt: IsoTime,
    expiresAt: IsoTime,
    url: Type.String({ description: 'Signed HLS playlist path; valid until expiresAt, no token needed' }),
    snapshotUrl: Type.String({ description: 'Signed path of a JPEG of the latest frame (fallback)' }),
    status: FeedStatus,
  },
  closed,
);
export type FeedSessionView = Static<typeof FeedSessionView>;
