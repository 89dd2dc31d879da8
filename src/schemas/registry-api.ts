import { type Static, Type } from '@sinclair/typebox';
import { CAMERA_NETWORK_PATTERN } from '../registry/camera-networks.ts';
import { GeoPoint, Id, IsoTime, LatLon, Nullable } from './common.ts';
import { SiteOutbox } from './payloads.ts';

const closed = { additionalProperties: false } as const;

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const CameraNetworks = Type.Array(
  Type.String({
    maxLength: 253,
    pattern: CAMERA_NETWORK_PATTERN,
    description: 'An IP address, a CIDR range (at most /8 for IPv4, /32 for IPv6) or an exact host name',
  }),
  {
    maxItems: 64,
    description:
      "Where the site's cameras may be: the hub opens live feeds only to stream addresses inside these, over rtsp: or rtsps:",
  },
);

const ExpectedCameras = Type.Array(Id, {
  maxItems: 2000,
  uniqueItems: true,
  description:
    'Camera ids the operator expects at this site: approved when first seen; any other camera waits for approval',
});

const MaxCameras = Nullable(
  Type.Integer({ minimum: 1, maximum: 2000, description: "null: the hub's registry.maxCamerasPerSite" }),
);

/** An operator registers a site: its council and hub are facts the hub holds, never claims the site makes. */
export const SiteRegistration = Type.Object(
  {
    id: Id,
    name: Name,
    councilId: Id,
    hubId: Id,
    location: Type.Optional(Nullable(LatLon)),
    cameraNetworks: CameraNetworks,
    expectedCameras: Type.Optional(ExpectedCameras),
    maxCameras: Type.Optional(MaxCameras),
  },
  closed,
);
export type SiteRegistration = Static<typeof SiteRegistration>;

export const SiteRegistryUpdate = Type.Object(
  {
    name: Type.Optional(Name),
    councilId: Type.Optional(Id),
    hubId: Type.Optional(Id),
    location: Type.Optional(Nullable(LatLon)),
    cameraNetworks: Type.Optional(CameraNetworks),
    expectedCameras: Type.Optional(ExpectedCameras),
    maxCameras: Type.Optional(MaxCameras),
    reason: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 500,
        description:
          "Why: required when the site's council or hub changes (a move), recorded in the audit log",
      }),
    ),
  },
  closed,
);
export type SiteRegistryUpdate = Static<typeof SiteRegistryUpdate>;

export const SiteRecord = Type.Object(
  {
    id: Id,
    name: Type.String(),
    councilId: Id,
    hubId: Id,
    location: Nullable(GeoPoint),
    cameraNetworks: Type.Array(Type.String()),
    expectedCameras: Type.Array(Id),
    maxCameras: Nullable(Type.Integer()),
    registeredAt: IsoTime,
    registeredBy: Type.String(),
    pendingCameras: Type.Integer({
      minimum: 0,
      description: 'Cameras seen in its inventory that wait for approval',
    }),
    approvedCameras: Type.Integer({ minimum: 0, description: 'Cameras that count in evidence' }),
    link: Type.String({ description: "The site link's state as last stored (online, offline, unknown)" }),
    lastSeenAt: Nullable(IsoTime),
    agentVersion: Nullable(Type.String({ description: 'As the agent last reported it' })),
    enrolment: Type.Union(
      [
        Type.Literal('none'),
        Type.Literal('code-issued'),
        Type.Literal('code-expired'),
        Type.Literal('enrolled'),
      ],
      { description: 'Of the site box: no code yet, a code waiting, a code lapsed unused, or enrolled' },
    ),
    enrolledAt: Nullable(IsoTime),
    agentClockOffsetMs: Nullable(
      Type.Number({ description: "The site box's clock minus the hub's, as last measured" }),
    ),
    outbox: Nullable(SiteOutbox),
  },
  closed,
);
export type SiteRecord = Static<typeof SiteRecord>;

/** What a move does to reports: stated in the answer, so the operator knows before the next month. */
export const SiteMove = Type.Object(
  {
    from: Type.Object({ councilId: Id, hubId: Id }, closed),
    to: Type.Object({ councilId: Id, hubId: Id }, closed),
    at: IsoTime,
    effect: Type.String(),
  },
  closed,
);

export const SiteUpdateResult = Type.Object({ site: SiteRecord, move: Nullable(SiteMove) }, closed);
export type SiteUpdateResult = Static<typeof SiteUpdateResult>;

export const CameraApprovalState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('rejected'),
  Type.Literal('retired'),
]);
export type CameraApprovalState = Static<typeof CameraApprovalState>;

export const CameraApprovalView = Type.Object(
  {
    id: Id,
    name: Type.String(),
    siteId: Id,
    councilId: Id,
    approval: CameraApprovalState,
    approvalAt: Nullable(IsoTime),
    approvalBy: Nullable(Type.String()),
    firstSeenAt: IsoTime,
    active: Type.Boolean({ description: "Still listed in its site's inventory" }),
    /** When the latest commissioning record was taken on site (null: never commissioned through the agent). */
    commissionedAt: Nullable(IsoTime),
  },
  closed,
);
export type CameraApprovalView = Static<typeof CameraApprovalView>;

export const CameraApprovalQuery = Type.Object(
  {
    approval: Type.Optional(CameraApprovalState),
    siteId: Type.Optional(Id),
  },
  closed,
);
export type CameraApprovalQuery = Static<typeof CameraApprovalQuery>;

export const CameraDecision = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject'), Type.Literal('retire')], {
      description:
        "approve: counts in its council's evidence from now on; reject: monitored, never counted; retire: leaves the evidence from now on",
    }),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  closed,
);
export type CameraDecision = Static<typeof CameraDecision>;

export const CouncilUpsert = Type.Object({ name: Name, hubId: Id }, closed);
export type CouncilUpsert = Static<typeof CouncilUpsert>;

export const HubUpsert = Type.Object(
  {
    name: Name,
    operator: Type.Optional(Type.String({ maxLength: 200 })),
    location: Type.Optional(Nullable(LatLon)),
  },
  closed,
);
export type HubUpsert = Static<typeof HubUpsert>;
