import { type Static, Type } from '@sinclair/typebox';
import { CameraState, Reason, SiteLinkState } from './camera-state.ts';
import { Purpose } from './commissioning.ts';
import { GeoPoint, Id, IsoDay, IsoMonth, IsoTime, Nullable } from './common.ts';
import { AgentClockHealth, HealthPayload, MonitorHealth, StreamPayload } from './payloads.ts';

const closed = { additionalProperties: false } as const;

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  closed,
);
export type LoginBody = Static<typeof LoginBody>;

export const Role = Type.Union([
  Type.Literal('operator'),
  Type.Literal('council'),
  Type.Literal('controlroom'),
  Type.Literal('auditor'),
]);
export type Role = Static<typeof Role>;

export const LoginResponse = Type.Object(
  {
    token: Type.String(),
    expiresAt: IsoTime,
    user: Type.Object({ username: Type.String(), role: Role, councilIds: Type.Array(Id) }, closed),
  },
  closed,
);
export type LoginResponse = Static<typeof LoginResponse>;

export const ApiError = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: true },
);
export type ApiError = Static<typeof ApiError>;

export const CameraView = Type.Object(
  {
    id: Id,
    name: Type.String(),
    siteId: Id,
    councilId: Id,
    hubId: Id,
    state: CameraState,
    stateSince: IsoTime,
    lastSeenAt: Nullable(IsoTime),
    reasons: Type.Array(Reason),
    location: GeoPoint,
    bearingDeg: Type.Number(),
    hfovDeg: Type.Number(),
    designDistanceM: Type.Number(),
    purpose: Purpose,
    approval: Type.Union(
      [Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('retired')],
      {
        description:
          "pending: first seen in its site's inventory and monitored, but counted in no council's evidence until a hub operator approves it",
      },
    ),
  },
  closed,
);
export type CameraView = Static<typeof CameraView>;

export const CameraDetail = Type.Composite([
  CameraView,
  Type.Object({
    health: Nullable(Type.Composite([HealthPayload, Type.Object({ observedAt: IsoTime })])),
    stream: Nullable(Type.Composite([StreamPayload, Type.Object({ observedAt: IsoTime })])),
    /** The latest probe of each of the camera's other media profiles (sub-streams), by profile token. */
    subStreams: Type.Array(Type.Composite([StreamPayload, Type.Object({ observedAt: IsoTime })]), {
      maxItems: 16,
    }),
  }),
]);
export type CameraDetail = Static<typeof CameraDetail>;

export const SiteView = Type.Object(
  {
    id: Id,
    name: Type.String(),
    councilId: Id,
    hubId: Id,
    state: SiteLinkState,
    stateSince: IsoTime,
    lastSeenAt: Nullable(IsoTime),
    cameraCount: Type.Integer(),
    location: Nullable(GeoPoint),
    clockSuspect: Type.Boolean({
      description:
        "The agent's clock disagrees with the hub's or is not NTP-synchronised: its cameras' clock offsets are not trustworthy",
    }),
    clockReason: Nullable(Type.String({ description: 'Why the site is clock-suspect' })),
    agentClockOffsetMs: Nullable(
      Type.Number({
        description: 'Agent clock minus hub clock, estimated from receive delays (positive: agent ahead)',
      }),
    ),
    agentClock: Nullable(AgentClockHealth),
    // The agent's own health from its latest site state; null when it reports none or is offline.
    monitor: Nullable(MonitorHealth),
  },
  closed,
);
export type SiteView = Static<typeof SiteView>;

export const CouncilView = Type.Object({ id: Id, name: Type.String(), hubId: Id }, closed);
export type CouncilView = Static<typeof CouncilView>;

export const HubView = Type.Object(
  { id: Id, name: Type.String(), operator: Type.String(), location: GeoPoint },
  closed,
);
export type HubView = Static<typeof HubView>;

/** Public settings the dashboard needs before login. */
export const UiConfig = Type.Object(
  {
    tileUrl: Nullable(Type.String()),
    tileAttribution: Type.String(),
    demo: Type.Boolean(),
    sourceTrackMinutes: Type.Integer({ minimum: 1, description: "Minutes of a mobile source's track drawn" }),
  },
  closed,
);
export type UiConfig = Static<typeof UiConfig>;

export const CameraQuery = Type.Object(
  {
    hubId: Type.Optional(Id),
    councilId: Type.Optional(Id),
    siteId: Type.Optional(Id),
    state: Type.Optional(CameraState),
  },
  closed,
);
export type CameraQuery = Static<typeof CameraQuery>;

/** socket.io: server -> client events. `snapshot` on connect, then batched changes. */
export const LiveSnapshot = Type.Object(
  { cameras: Type.Array(CameraView), sites: Type.Array(SiteView), at: IsoTime },
  closed,
);
export type LiveSnapshot = Static<typeof LiveSnapshot>;

export const LiveChanges = Type.Object(
  { cameras: Type.Array(CameraView), sites: Type.Array(SiteView), at: IsoTime },
  closed,
);
export type LiveChanges = Static<typeof LiveChanges>;

export const LIVE_EVENTS = { snapshot: 'snapshot', changes: 'changes', compliance: 'compliance' } as const;

export const UptimeScope = Type.Union([
  Type.Literal('fleet'),
  Type.Literal('hub'),
  Type.Literal('council'),
  Type.Literal('site'),
  Type.Literal('camera'),
]);
export type UptimeScope = Static<typeof UptimeScope>;

export const UptimeQuery = Type.Object(
  {
    scope: UptimeScope,
    id: Type.Optional(Id),
    window: Type.Union(
      [
        Type.Literal('24h'),
        Type.Literal('7d'),
        Type.Literal('30d'),
        Type.Literal('90d'),
        Type.Literal('month'),
        Type.Literal('custom'),
      ],
      {
        default: '24h',
      },
    ),
    month: Type.Optional(
      IsoMonth('YYYY-MM for window=month: a Europe/London calendar month, not after the current one'),
    ),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    perCamera: Type.Boolean({ default: false, description: 'Include one row per camera' }),
    daily: Type.Boolean({
      default: false,
      description: 'Include one row per Europe/London day of the window (at most 400)',
    }),
  },
  closed,
);
export type UptimeQuery = Static<typeof UptimeQuery>;

export const StateDurationsMs = Type.Object(
  {
    up: Type.Number(),
    degraded: Type.Number(),
    down: Type.Number(),
    unknown: Type.Number(),
    maintenance: Type.Number(),
  },
  closed,
);

export const UptimeFigures = Type.Object(
  {
    durationsMs: StateDurationsMs,
    /** (up + degraded) / (up + degraded + down); unknown and maintenance excluded. */
    availability: Nullable(Type.Number()),
    /** Share of the window, maintenance excluded, with fresh data. */
    observed: Nullable(Type.Number()),
  },
  closed,
);

export const UptimeReport = Type.Object(
  {
    scope: UptimeScope,
    id: Nullable(Id),
    window: Type.Object({ kind: Type.String(), from: IsoTime, to: IsoTime, label: Type.String() }, closed),
    evaluatedAt: Type.String({
      ...IsoTime,
      description:
        'The hub time the figures were computed at (time after it is not counted): the evidence pack and CSVs of the same council, month and time give the same figures',
    }),
    cameraCount: Type.Integer(),
    total: UptimeFigures,
    cameras: Type.Optional(Type.Array(Type.Composite([Type.Object({ cameraId: Id }), UptimeFigures]))),
    days: Type.Optional(
      Type.Array(Type.Composite([Type.Object({ day: IsoDay('Europe/London day') }), UptimeFigures])),
    ),
  },
  closed,
);
export type UptimeReport = Static<typeof UptimeReport>;

export const SummaryQuery = Type.Object(
  {
    scope: UptimeScope,
    id: Type.Optional(Id),
    window: UptimeQuery.properties.window,
    month: UptimeQuery.properties.month,
    from: UptimeQuery.properties.from,
    to: UptimeQuery.properties.to,
  },
  closed,
);
export type SummaryQuery = Static<typeof SummaryQuery>;

const ComplianceCounts = Type.Object(
  { pass: Type.Integer(), warn: Type.Integer(), fail: Type.Integer(), not_evaluable: Type.Integer() },
  closed,
);

/** Uptime and compliance of every camera in a scope, one line each: the operator's fleet summary. */
export const FleetSummary = Type.Object(
  {
    scope: UptimeScope,
    id: Nullable(Id),
    window: Type.Object({ kind: Type.String(), from: IsoTime, to: IsoTime, label: Type.String() }, closed),
    cameraCount: Type.Integer(),
    uptime: UptimeFigures,
    compliance: Type.Object({ evaluated: Type.Integer(), counts: ComplianceCounts }, closed),
    cameras: Type.Array(
      Type.Object(
        {
          cameraId: Id,
          availability: Nullable(Type.Number()),
          observed: Nullable(Type.Number()),
          compliance: Nullable(
            Type.Union([
              Type.Literal('pass'),
              Type.Literal('warn'),
              Type.Literal('fail'),
              Type.Literal('not_evaluable'),
            ]),
          ),
          packRef: Nullable(Type.String()),
          failing: Type.Array(Type.String(), {
            description: 'Rule ids failing or warning in the latest evaluation',
          }),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type FleetSummary = Static<typeof FleetSummary>;
