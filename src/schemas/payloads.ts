import { type Static, Type } from '@sinclair/typebox';
import { Reason, ReportedState } from './camera-state.ts';
import { Commissioning } from './commissioning.ts';
import { Id, IsoTime, Nullable } from './common.ts';
import { VideoCheck } from './video-check.ts';

const closed = { additionalProperties: false } as const;

/**
 * Whether the agent's own clock is NTP-synchronised, as its OS says without root: camera clock offsets
 * are measured against this clock, so they are only as good as it is.
 */
export const AgentClockHealth = Type.Object(
  {
    synchronized: Nullable(Type.Boolean({ description: 'null: the OS does not say' })),
    source: Type.Union(
      [
        Type.Literal('chrony'),
        Type.Literal('timedatectl'),
        Type.Literal('timesyncd-marker'),
        Type.Literal('none'),
      ],
      { description: 'What answered: chronyc -c tracking, timedatectl, /run/systemd/timesync/synchronized' },
    ),
    offsetMs: Nullable(
      Type.Number({ description: 'Agent clock minus NTP time, as the NTP daemon estimates it' }),
    ),
    maxErrorMs: Nullable(Type.Number({ minimum: 0, description: 'Bound on the agent clock error (chrony)' })),
    checkedAt: IsoTime,
    detail: Type.Optional(Type.String({ maxLength: 300 })),
  },
  closed,
);
export type AgentClockHealth = Static<typeof AgentClockHealth>;

/** The agent's disk outbox: what it holds for the hub (a backlog after an outage) and what it had to drop. */
export const SiteOutbox = Type.Object(
  {
    records: Type.Integer({ minimum: 0, description: 'Messages not yet acknowledged by the broker' }),
    bytes: Type.Integer({ minimum: 0 }),
    maxBytes: Type.Integer({ minimum: 0 }),
    dropped: Type.Integer({
      minimum: 0,
      description: 'Samples dropped because it was full, since the agent started',
    }),
  },
  closed,
);
export type SiteOutbox = Static<typeof SiteOutbox>;

/**
 * The agent's own health: whether it is starved (event loop stalled, waiting for a CPU), so that
 * deadlines expiring now say more about the monitor than about the cameras.
 */
export const MonitorHealth = Type.Object(
  {
    impaired: Type.Boolean({
      description: 'The monitor is impaired now: timeouts are reported as inconclusive',
    }),
    // When the current impairment began, and what the monitor lost in plain words; null when not impaired.
    since: Nullable(IsoTime),
    detail: Nullable(Type.String({ maxLength: 300 })),
    eventLoopLagMs: Type.Number({ minimum: 0, description: 'Event-loop delay over the last minute' }),
    cpuPressurePct: Nullable(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description:
          "Share of the last minute a task of the agent's cgroup waited for a CPU (Linux PSI); null where absent",
      }),
    ),
    load1: Nullable(Type.Number({ minimum: 0, description: 'Host load average over one minute' })),
    cpuCount: Type.Integer({ minimum: 1, maximum: 100_000 }),
    runningPolls: Type.Integer({ minimum: 0 }),
    pollSlots: Type.Integer({ minimum: 0 }),
    runningProbes: Type.Integer({ minimum: 0 }),
    probeSlots: Type.Integer({ minimum: 0 }),
    inconclusiveChecks: Type.Integer({
      minimum: 0,
      description: 'Checks reported as inconclusive (monitor_impaired) since the agent started',
    }),
    // Optional: agents before it send none. What waits on the site box's disk for the hub.
    outbox: Type.Optional(SiteOutbox),
    checkedAt: IsoTime,
  },
  closed,
);
export type MonitorHealth = Static<typeof MonitorHealth>;

/** Retained per site; the agent's MQTT last will carries `offline`. */
export const SiteStatePayload = Type.Object(
  {
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
    startedAt: Type.Optional(IsoTime),
    cameraCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    // Optional: agents before it send none, and hubs read a state without it as "not reported".
    agentClock: Type.Optional(AgentClockHealth),
    // Optional for the same reason: a hub reads a state without it as "not reported".
    monitor: Type.Optional(MonitorHealth),
  },
  closed,
);
export type SiteStatePayload = Static<typeof SiteStatePayload>;

export const InventoryCamera = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    commissioning: Commissioning,
  },
  closed,
);
export type InventoryCamera = Static<typeof InventoryCamera>;

/** Retained per site: the cameras the agent is configured to watch, without credentials. */
export const InventoryPayload = Type.Object(
  {
    siteName: Type.String({ minLength: 1, maxLength: 200 }),
    councilId: Id,
    hubId: Id,
    location: Type.Optional(Commissioning.properties.location),
    cameras: Type.Array(InventoryCamera, { maxItems: 2000 }),
  },
  closed,
);
export type InventoryPayload = Static<typeof InventoryPayload>;

export const ClockReading = Type.Object(
  {
    offsetMs: Type.Number({ description: 'Camera UTC minus agent UTC, corrected for half the round trip' }),
    roundTripMs: Type.Number({ minimum: 0 }),
    dateTimeType: Nullable(Type.Union([Type.Literal('NTP'), Type.Literal('Manual')])),
    timeZone: Nullable(Type.String({ maxLength: 100 })),
    daylightSavings: Nullable(Type.Boolean()),
  },
  closed,
);
export type ClockReading = Static<typeof ClockReading>;

export const DeviceInfo = Type.Object(
  {
    manufacturer: Type.String({ maxLength: 200 }),
    model: Type.String({ maxLength: 200 }),
    firmwareVersion: Type.String({ maxLength: 200 }),
    serialNumber: Type.String({ maxLength: 200 }),
    hardwareId: Type.String({ maxLength: 200 }),
  },
  closed,
);
export type DeviceInfo = Static<typeof DeviceInfo>;

export const ImageCheck = Type.Object(
  {
    meanLuma: Type.Number({ minimum: 0, maximum: 255 }),
    lumaStdDev: Type.Number({ minimum: 0 }),
    blank: Type.Boolean(),
    dark: Type.Boolean(),
  },
  closed,
);
export type ImageCheck = Static<typeof ImageCheck>;

/** One poll of one camera. */
export const HealthPayload = Type.Object(
  {
    cameraId: Id,
    state: ReportedState,
    reasons: Type.Array(Reason, { maxItems: 20 }),
    responseMs: Nullable(Type.Number({ minimum: 0 })),
    clock: Nullable(ClockReading),
    device: Nullable(DeviceInfo),
    image: Nullable(ImageCheck),
    // Optional: agents before video analysis send none, and the hub accepts their messages unchanged.
    video: Type.Optional(Nullable(VideoCheck)),
  },
  closed,
);
export type HealthPayload = Static<typeof HealthPayload>;

export const DeclaredProfile = Type.Object(
  {
    token: Type.String({ maxLength: 100 }),
    encoding: Type.String({ maxLength: 20 }),
    width: Type.Integer({ minimum: 0 }),
    height: Type.Integer({ minimum: 0 }),
    fps: Nullable(Type.Number({ minimum: 0 })),
    bitrateKbps: Nullable(Type.Number({ minimum: 0 })),
  },
  closed,
);
export type DeclaredProfile = Static<typeof DeclaredProfile>;

/** What the stream really carries, measured with ffprobe, next to what the ONVIF profile claims. */
export const StreamPayload = Type.Object(
  {
    cameraId: Id,
    uri: Type.String({ maxLength: 2000, description: 'Stream URI with credentials removed' }),
    codec: Type.String({ maxLength: 40 }),
    width: Type.Integer({ minimum: 0 }),
    height: Type.Integer({ minimum: 0 }),
    fps: Nullable(Type.Number({ minimum: 0 })),
    bitrateKbps: Nullable(Type.Number({ minimum: 0 })),
    // Optional: agents before de-duplication do not send it, and their samples stay valid.
    repeatedPackets: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Packets dropped from the estimate as repeats (same pts) of a packet already seen',
      }),
    ),
    declared: Nullable(DeclaredProfile),
    probeMs: Type.Number({ minimum: 0 }),
    // Optional: agents that probe only the first profile send none, and their samples are the main stream.
    role: Type.Optional(
      Type.Union([Type.Literal('main'), Type.Literal('sub')], {
        description:
          "The camera's first (main) media profile, or a secondary one (sub-stream), probed less often",
      }),
    ),
  },
  closed,
);
export type StreamPayload = Static<typeof StreamPayload>;

export const CameraEventType = Type.Union([
  Type.Literal('tamper'),
  Type.Literal('storage_failure'),
  Type.Literal('hardware_failure'),
  Type.Literal('video_loss'),
  Type.Literal('other'),
]);
export type CameraEventType = Static<typeof CameraEventType>;

export const CameraEventPayload = Type.Object(
  {
    cameraId: Id,
    type: CameraEventType,
    active: Type.Boolean(),
    source: Type.String({ maxLength: 200, description: 'ONVIF topic or agent check that raised it' }),
    detail: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  closed,
);
export type CameraEventPayload = Static<typeof CameraEventPayload>;

/**
 * How much of a camera's video its recorder holds, read from ONVIF Profile G recording search (the camera's
 * own recording, or its channel on the site's recorder). Read about hourly; evidence for the retention
 * rule (police evidential use needs 31 days). Whole days of the video track, rounded down.
 */
export const RecordingPayload = Type.Object(
  {
    cameraId: Id,
    source: Type.Union([Type.Literal('camera'), Type.Literal('recorder')], {
      description: 'Where the recording is: on the camera itself, or on the site recorder',
    }),
    /** The recorder's id in the agent config; the hub keeps it as text, never as an address. */
    recorderId: Type.Optional(Id),
    recordingToken: Type.String({ minLength: 1, maxLength: 100 }),
    daysRetained: Type.Integer({
      minimum: 0,
      maximum: 3650,
      description: "Whole days from the oldest video still held to the reading's observedAt",
    }),
    earliestAt: IsoTime,
    latestAt: Nullable(IsoTime),
    status: Type.Optional(Type.String({ maxLength: 40, description: 'RecordingStatus as the device says' })),
  },
  closed,
);
export type RecordingPayload = Static<typeof RecordingPayload>;

/**
 * A camera commissioned at the site (`npm run agent -- commission`): what the installer recorded
 * (the view's purpose and geometry, as in the agent config) and what was measured at that moment.
 * The hub keeps every record, dated, and judges from it whether the camera met its purpose; the
 * figures are the site's claims until an operator approves the camera.
 */
export const CommissioningPayload = Type.Object(
  {
    cameraId: Id,
    by: Type.String({ minLength: 1, maxLength: 100, description: 'The installer, as they gave their name' }),
    commissioning: Commissioning,
    measured: Type.Object(
      {
        stream: Nullable(
          Type.Object(
            {
              codec: Type.String({ maxLength: 40 }),
              width: Type.Integer({ minimum: 0, maximum: 20_000 }),
              height: Type.Integer({ minimum: 0, maximum: 20_000 }),
              fps: Nullable(Type.Number({ minimum: 0, maximum: 1000 })),
              bitrateKbps: Nullable(Type.Number({ minimum: 0, maximum: 1_000_000 })),
            },
            closed,
          ),
        ),
        clockOffsetMs: Nullable(Type.Number({ minimum: -1e12, maximum: 1e12 })),
        device: Nullable(DeviceInfo),
        referenceFrameSha256: Nullable(
          Type.String({
            pattern: '^[0-9a-f]{64}$',
            description: 'Of the reference frame kept on the site box',
          }),
        ),
      },
      closed,
    ),
  },
  closed,
);
export type CommissioningPayload = Static<typeof CommissioningPayload>;

/**
 * Samples (health and stream) the agent's outbox dropped or refused because it was full during an
 * outage: the hub knows nothing of that camera between `from` and `to` (both observedAt of dropped
 * samples, oldest and newest), so that time is `unknown`, never `up` or `down`. Never dropped itself.
 */
export const GapPayload = Type.Object(
  {
    cameraId: Id,
    from: IsoTime,
    to: IsoTime,
    dropped: Type.Object(
      {
        health: Type.Integer({ minimum: 0, description: 'Health samples dropped in the range' }),
        stream: Type.Integer({ minimum: 0, description: 'Stream samples dropped in the range' }),
      },
      closed,
    ),
  },
  closed,
);
export type GapPayload = Static<typeof GapPayload>;
