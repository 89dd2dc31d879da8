import { type Static, Type } from '@sinclair/typebox';
import { GeoPoint, Id, IsoTime, Nullable } from './common.ts';

// Mobile sources: video sources without a surveyed position (a police drone, an officer's body-worn
// camera), registered at the hub by an operator for a police unit, whose position comes as
// telemetry through a registered site's agent or ground station. Never part of a council's evidence.

const closed = { additionalProperties: false } as const;

export const SourceKind = Type.Union([Type.Literal('drone'), Type.Literal('bodyworn')]);
export type SourceKind = Static<typeof SourceKind>;

/**
 * Link state of a source: `up` while its telemetry is fresh, `unknown` once it is late (a few
 * seconds), `offline` once it has been silent for longer (landed, switched off, out of range).
 */
export const SourceState = Type.Union([Type.Literal('up'), Type.Literal('unknown'), Type.Literal('offline')]);
export type SourceState = Static<typeof SourceState>;

/** Stream schemes a source may be registered with (the hub pulls them with ffmpeg): RTSP or RTMP. */
export const SOURCE_STREAM_PATTERN = '^(rtsps?|rtmps?|srt)://[^\\s@/]+(:[0-9]{1,5})?(/[^\\s]*)?$';

/**
 * One position fix, signed by the source: `sig` is the base64url HMAC-SHA256, with the source's
 * telemetry key, of `telemetrySigningText(payload)` (the fields in a fixed order). A relay cannot
 * alter a fix it carries, or make one up for a source whose key it does not hold.
 */
export const TelemetryPayload = Type.Object(
  {
    sourceId: Id,
    at: IsoTime,
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    altitudeM: Nullable(
      Type.Number({ minimum: -100, maximum: 2000, description: 'Height above the ground (m), drones' }),
    ),
    headingDeg: Nullable(Type.Number({ minimum: 0, maximum: 360 })),
    gimbalPitchDeg: Nullable(
      Type.Number({
        minimum: 0,
        maximum: 90,
        description: 'Camera tilt below the horizon (90: straight down)',
      }),
    ),
    gimbalBearingDeg: Nullable(Type.Number({ minimum: 0, maximum: 360 })),
    hfovDeg: Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 180 })),
    vfovDeg: Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 180 })),
    speedMps: Nullable(Type.Number({ minimum: 0, maximum: 200 })),
    batteryPct: Nullable(Type.Number({ minimum: 0, maximum: 100 })),
    linkQualityPct: Nullable(Type.Number({ minimum: 0, maximum: 100 })),
    sig: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'base64url HMAC-SHA256 (32 bytes)' }),
  },
  closed,
);
export type TelemetryPayload = Static<typeof TelemetryPayload>;

/** A GeoJSON polygon as the hub computes it (a drone's ground footprint, a body-worn camera's view). */
export const Footprint = Type.Object(
  {
    type: Type.Literal('Polygon'),
    coordinates: Type.Array(Type.Array(Type.Tuple([Type.Number(), Type.Number()]))),
  },
  closed,
);
export type Footprint = Static<typeof Footprint>;

export const SourceInput = Type.Object(
  {
    id: Id,
    kind: SourceKind,
    name: Type.String({ minLength: 1, maxLength: 80 }),
    unit: Type.String({
      minLength: 1,
      maxLength: 120,
      description: 'The police unit that owns it (e.g. Devon and Cornwall Police drone unit)',
    }),
    relaySiteId: Id,
    streamUrl: Type.String({
      maxLength: 500,
      pattern: SOURCE_STREAM_PATTERN,
      description:
        "Where the hub pulls its video (RTSP, RTSPS, RTMP, RTMPS, or SRT where the hub's ffmpeg reads it; no credentials in it)",
    }),
    hfovDeg: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 180, default: 70 })),
    vfovDeg: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 180, default: 45 })),
    rangeM: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 2000,
        description:
          'Useful range of a body-worn camera (default 15 m), or the farthest a drone footprint reaches (default 500 m)',
      }),
    ),
  },
  closed,
);
export type SourceInput = Static<typeof SourceInput>;

export const SourceRecord = Type.Object(
  {
    id: Id,
    kind: SourceKind,
    name: Type.String(),
    unit: Type.String(),
    relaySiteId: Id,
    streamUrl: Type.String(),
    hfovDeg: Type.Number(),
    vfovDeg: Type.Number(),
    rangeM: Type.Number(),
    createdAt: IsoTime,
    createdBy: Type.String(),
    keyIssuedAt: IsoTime,
  },
  closed,
);
export type SourceRecord = Static<typeof SourceRecord>;

export const SourceCreated = Type.Object(
  {
    source: SourceRecord,
    telemetryKey: Type.String({
      description: 'The source signs its telemetry with this key (base64url, 32 bytes): shown once',
    }),
  },
  closed,
);
export type SourceCreated = Static<typeof SourceCreated>;

/**
 * The newest check of a source's stream by the hub (ffprobe for a few seconds, as the edge agent checks
 * a camera's), made while the source is on duty or its telemetry is live.
 */
export const SourceStreamCheck = Type.Object(
  {
    checkedAt: IsoTime,
    ok: Type.Boolean({ description: 'Video arrived and decoded as a video track' }),
    codec: Nullable(Type.String()),
    width: Nullable(Type.Integer({ minimum: 0 })),
    height: Nullable(Type.Integer({ minimum: 0 })),
    fps: Nullable(Type.Number({ minimum: 0 })),
    bitrateKbps: Nullable(Type.Number({ minimum: 0 })),
    /** Why it failed (null when ok): `no_video` (unreachable, silent or no video track) or `stream_error`. */
    errorCode: Nullable(Type.String()),
    error: Nullable(Type.String({ maxLength: 300 })),
  },
  closed,
);
export type SourceStreamCheck = Static<typeof SourceStreamCheck>;

/** A source as control rooms see it live. */
export const SourceView = Type.Object(
  {
    id: Id,
    kind: SourceKind,
    name: Type.String(),
    unit: Type.String(),
    relaySiteId: Id,
    state: SourceState,
    stateSince: IsoTime,
    lastFixAt: Nullable(IsoTime),
    location: Nullable(GeoPoint),
    altitudeM: Nullable(Type.Number()),
    headingDeg: Nullable(Type.Number()),
    speedMps: Nullable(Type.Number()),
    batteryPct: Nullable(Type.Number()),
    linkQualityPct: Nullable(Type.Number()),
    footprint: Nullable(Footprint),
    /** Positions of the last minutes, oldest first: [lon, lat, epoch ms]. */
    track: Type.Array(Type.Tuple([Type.Number(), Type.Number(), Type.Number()]), { maxItems: 2000 }),
    onDuty: Type.Boolean({ description: 'Inside a declared mission or shift window now' }),
    stream: Nullable(SourceStreamCheck),
    hubId: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description:
          "The hub that owns the source, for one another hub shares with this one (a network of hubs); absent: this hub's own",
      }),
    ),
  },
  closed,
);
export type SourceView = Static<typeof SourceView>;

export const DutyInput = Type.Object(
  {
    startsAt: IsoTime,
    endsAt: IsoTime,
    reason: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Mission or shift, e.g. an incident reference',
    }),
  },
  closed,
);
export type DutyInput = Static<typeof DutyInput>;

export const DutyWindow = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9]{1,18}$' }),
    sourceId: Id,
    startsAt: IsoTime,
    endsAt: IsoTime,
    reason: Type.String(),
    createdBy: Type.String(),
  },
  closed,
);
export type DutyWindow = Static<typeof DutyWindow>;

/** Link uptime of a source over its duty windows in a period (not 24x7). */
export const SourceUptime = Type.Object(
  {
    sourceId: Id,
    from: IsoTime,
    to: IsoTime,
    computedAt: IsoTime,
    dutyMs: Type.Integer({ minimum: 0, description: 'Time on duty in the period' }),
    linkedMs: Type.Integer({
      minimum: 0,
      description: 'Time on duty with fresh telemetry (no gap longer than sources.staleAfterMs)',
    }),
    availability: Nullable(
      Type.Number({ description: 'linkedMs / dutyMs; null with no duty in the period' }),
    ),
    streamChecks: Type.Integer({
      minimum: 0,
      description: 'Checks of its stream made on duty in the period',
    }),
    streamChecksOk: Type.Integer({ minimum: 0, description: 'Of those, the checks that found video' }),
    streamAvailability: Nullable(
      Type.Number({ description: 'streamChecksOk / streamChecks; null with no check on duty in the period' }),
    ),
    windows: Type.Array(DutyWindow),
  },
  closed,
);
export type SourceUptime = Static<typeof SourceUptime>;

/** A mobile source found by an incident search: covering the point now, or having passed it. */
export const IncidentSource = Type.Object(
  {
    rank: Type.Integer({ minimum: 1, description: 'Place among the cameras and sources of the search' }),
    sourceId: Id,
    kind: SourceKind,
    name: Type.String(),
    unit: Type.String(),
    state: SourceState,
    location: Nullable(GeoPoint),
    distanceM: Nullable(Type.Number({ description: 'From its current position to the target' })),
    coversNow: Type.Boolean({ description: 'Its current footprint (or position) covers the target' }),
    /** When it covered the target in the window searched, from its stored track (null: not at all). */
    coveredFrom: Nullable(IsoTime),
    coveredTo: Nullable(IsoTime),
    closestM: Nullable(Type.Number({ description: 'Nearest it came to the target in the window' })),
    streamOk: Nullable(
      Type.Boolean({
        description: 'Whether the newest check of its stream found video (null: not checked yet)',
      }),
    ),
    hubId: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description:
          'The hub that owns the source and searched its track, for one another hub shares; absent: this hub',
      }),
    ),
  },
  closed,
);
export type IncidentSource = Static<typeof IncidentSource>;

/** Which sources covered a point, and when: for disclosure in an incident's evidence. */
export const CoverageExport = Type.Object(
  {
    target: Type.Object({ lat: Type.Number(), lon: Type.Number() }, closed),
    radiusM: Type.Number(),
    from: IsoTime,
    to: IsoTime,
    computedAt: IsoTime,
    counts: Type.String({
      description:
        'What the intervals count: fixes whose footprint covered the target or lay within radiusM of it',
    }),
    sources: Type.Array(
      Type.Object(
        {
          sourceId: Id,
          kind: SourceKind,
          name: Type.String(),
          unit: Type.String(),
          intervals: Type.Array(
            Type.Object(
              {
                from: IsoTime,
                to: IsoTime,
                fixes: Type.Integer({ minimum: 1 }),
                closestM: Type.Number(),
                footprintCovered: Type.Boolean(),
              },
              closed,
            ),
          ),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type CoverageExport = Static<typeof CoverageExport>;

/**
 * Pushed to control rooms and operators: every source once on connect (`full`, each with its whole
 * track of the last minutes), then changed sources, whose `track` then holds only the points added
 * since the previous push (the client appends them and trims its track to the same minutes).
 */
export const SourceChanges = Type.Object(
  {
    full: Type.Boolean({ description: 'The whole list (after connecting): replaces what the client holds' }),
    sources: Type.Array(SourceView),
    removed: Type.Array(Id),
    at: IsoTime,
  },
  closed,
);
export type SourceChanges = Static<typeof SourceChanges>;

export const SOURCE_EVENTS = { changes: 'sources' } as const;
