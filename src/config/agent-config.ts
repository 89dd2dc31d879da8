import { type Static, Type } from '@sinclair/typebox';
import { Commissioning } from '../schemas/commissioning.ts';
import { Id, LatLon } from '../schemas/common.ts';
import { Group, Optional } from './hub-config.ts';

/** POSIX TZ for UK civil time with summer time (Home Office guidance: correct clock for GMT/BST). */
export const UK_POSIX_TZ = 'GMT0BST,M3.5.0/1,M10.5.0';

/** How the agent reaches an ONVIF device: its device service and one of three ways to give the password. */
export const OnvifAccess = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://',
      description: 'ONVIF device service address (xaddr), without credentials',
    }),
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.Optional(
      Type.String({ description: 'Prefer passwordEnv or passwordFile: secrets stay out of files' }),
    ),
    passwordEnv: Type.Optional(Type.String({ description: 'Environment variable holding the password' })),
    passwordFile: Type.Optional(Type.String({ description: 'File holding the password' })),
    profileToken: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          "The media profile to judge a camera by: a channel of an encoder or recorder (discover writes it). Absent: the device's first profile",
      }),
    ),
  },
  { additionalProperties: false },
);
export type OnvifAccess = Static<typeof OnvifAccess>;

/** Where a camera's video is recorded, for retention evidence and recorder events (ONVIF Profile G). */
export const CameraRecording = Type.Object(
  {
    recorder: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description:
          'Id of the site recorder (recorders list) holding this camera; absent: the camera records itself',
      }),
    ),
    recordingToken: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          "The camera's recording token on the device; may be left out only where the device holds one recording",
      }),
    ),
    sourceToken: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "The camera's video source or channel token on the recorder, naming it in tamper events",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CameraRecording = Static<typeof CameraRecording>;

export const AgentCamera = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    onvif: OnvifAccess,
    commissioning: Commissioning,
    recording: Type.Optional(CameraRecording),
  },
  { additionalProperties: false },
);
export type AgentCamera = Static<typeof AgentCamera>;

export const AgentConfig = Type.Object(
  {
    site: Type.Object(
      {
        id: Id,
        name: Type.String({ minLength: 1, maxLength: 200 }),
        councilId: Id,
        hubId: Id,
        location: Type.Optional(LatLon),
      },
      { additionalProperties: false, description: 'The site this agent speaks for' },
    ),
    mqtt: Group(
      {
        url: Type.String({ default: 'mqtt://127.0.0.1:1883', description: 'Hub broker (env MQTT_URL)' }),
        username: Optional(
          Type.String({
            description: 'Site user name issued by the hub (when null and a password is set: the site id)',
          }),
        ),
        passwordFile: Optional(
          Type.String({ description: 'File holding the site password (or env CCTV_AGENT_MQTT_PASSWORD)' }),
        ),
        caFile: Optional(
          Type.String({
            description:
              "Hub broker at an mqtts:// url: PEM CA certificate(s) that signed its certificate, trusted instead of the system's; the certificate and host name are always verified",
          }),
        ),
        keepaliveS: Type.Integer({
          minimum: 5,
          maximum: 600,
          default: 30,
          description: 'MQTT keepalive; the last will fires after 1.5x this',
        }),
        connectTimeoutMs: Type.Integer({
          minimum: 1000,
          default: 10_000,
          description: 'MQTT connect timeout',
        }),
      },
      'Connection to the hub',
    ),
    poll: Group(
      {
        intervalMs: Type.Integer({
          minimum: 1000,
          default: 10_000,
          description: 'Health poll period per camera',
        }),
        probeIntervalMs: Type.Integer({
          minimum: 1000,
          default: 60_000,
          description: 'Stream probe period per camera',
        }),
        onvifTimeoutMs: Type.Integer({
          minimum: 100,
          maximum: 60_000,
          default: 5_000,
          description: 'Limit on each ONVIF request',
        }),
        probeTimeoutMs: Type.Integer({
          minimum: 500,
          maximum: 120_000,
          default: 10_000,
          description: 'Limit on each stream probe (process is killed after it)',
        }),
        imageIntervalMs: Type.Integer({
          minimum: 1000,
          default: 60_000,
          description: 'Snapshot image check period per camera (decoding a snapshot costs more than a poll)',
        }),
        imageBatchMs: Type.Integer({
          minimum: 0,
          maximum: 5_000,
          default: 1_000,
          description:
            "How long a fetched snapshot may wait for others to be decoded in the same ffmpeg run (most of a run's CPU is the tool starting); the poll's report waits with it, never more than a tenth of intervalMs. 0: each snapshot in a run of its own",
        }),
        probeBatchMs: Type.Integer({
          minimum: 0,
          maximum: 5_000,
          default: 1_000,
          description:
            "How long a due stream probe may wait for others to share one ffmpeg run (most of a probe's CPU is the tool starting); only streams whose last probe succeeded wait, at most a tenth of probeIntervalMs. 0: each probe a run of its own",
        }),
        probeSampleMs: Type.Integer({
          minimum: 500,
          maximum: 30_000,
          default: 2_000,
          description: 'Stream read to estimate frame rate and bitrate',
        }),
        subStreamIntervalMs: Type.Integer({
          minimum: 1000,
          default: 300_000,
          description:
            "Probe period of each camera's other media profiles (sub-streams): less often than the main stream, in the same probe slots",
        }),
        maxSubStreams: Type.Integer({
          minimum: 0,
          maximum: 8,
          default: 3,
          description:
            'Secondary profiles probed per camera (profiles sharing one stream address count once); 0: the main stream only',
        }),
        concurrency: Type.Integer({
          minimum: 1,
          maximum: 256,
          default: 16,
          description: 'Cameras polled at once',
        }),
        probeConcurrency: Type.Union([Type.Integer({ minimum: 1, maximum: 64 }), Type.Literal('auto')], {
          default: 'auto',
          description:
            "Streams probed (and videos analysed, in the same slots) at once; 'auto': enough for every camera to be probed each probeIntervalMs (a probe takes about probeSampleMs plus 0.5 s) and analysed each video.intervalMs, with half as many again in hand, from 2 to 32",
        }),
      },
      'Polling',
    ),
    outbox: Group(
      {
        dir: Type.String({
          minLength: 1,
          default: './data/outbox',
          description:
            "Durable outbox: observations and events wait here until the broker acknowledges them; the site's queue is {dir}/{site id}",
        }),
        maxBytes: Type.Integer({
          minimum: 16_384,
          default: 768 * 1024 * 1024,
          description:
            'Disk space the outbox may use. A 64-camera site at the default poll rates writes about 426 MB a day (about 511 MB if every camera is degraded). When full, the oldest samples of the camera with most queued samples go first (a gap message says which time range), never events',
        }),
      },
      'Durable outbox',
    ),
    thresholds: Group(
      {
        clockWarnMs: Type.Integer({
          minimum: 0,
          default: 1_000,
          description: 'Clock offset that degrades a camera',
        }),
        clockFailMs: Type.Integer({
          minimum: 0,
          default: 5_000,
          description: 'Clock offset reported as a failure',
        }),
        expectedTimeZone: Type.String({ default: UK_POSIX_TZ, description: 'POSIX TZ the cameras must use' }),
        minFps: Type.Number({
          minimum: 0,
          default: 6,
          description: 'Frame rate below this degrades a camera',
        }),
        blankLumaStdDev: Type.Number({
          minimum: 0,
          default: 4,
          description: 'Snapshot luma spread below this counts as blank',
        }),
        darkMeanLuma: Type.Number({
          minimum: 0,
          maximum: 255,
          default: 20,
          description: 'Snapshot mean luma below this counts as dark',
        }),
        // Video limits: rationale in docs/configuration.md ("Video analysis"); the certification codes
        // state theirs in their video rule.
        minFrozenShare: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.9,
          description:
            'Share of a video sample freezedetect finds still (-60 dB, 2 s) from which the video is frozen',
        }),
        minBlackShare: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.9,
          description:
            "Share of a video sample blackdetect finds black (ffmpeg's defaults) from which the video is black",
        }),
        minSharpnessRatio: Type.Number({
          minimum: 0,
          default: 0.5,
          description: "Sharpness over the reference frame's below which the view is blurred or obscured",
        }),
        minSceneSsim: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.5,
          description:
            'Best SSIM of a video sample against the reference frame below which the view has changed',
        }),
        staleSnapshotRepeats: Type.Integer({
          minimum: 1,
          default: 4,
          description:
            'Byte-identical snapshots in a row (after the first), while the stream moves, that make it stale',
        }),
        minSnapshotSsim: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.4,
          description: 'Best SSIM between stream and snapshot below which the snapshot shows something else',
        }),
      },
      'Health thresholds',
    ),
    video: Group(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Analyse a few seconds of each stream with ffmpeg filters (frozen, black, blurred, turned away)',
        }),
        intervalMs: Type.Integer({
          minimum: 10_000,
          default: 300_000,
          description:
            'Video analysis period per camera; runs in a probe slot after a good probe, less often than probes (it decodes video)',
        }),
        sampleMs: Type.Integer({
          minimum: 1_000,
          maximum: 30_000,
          default: 4_000,
          description: 'Stream time decoded per analysis',
        }),
        frameRate: Type.Number({
          exclusiveMinimum: 0,
          maximum: 10,
          default: 2,
          description: 'Decoded frames per second that are measured (at most the stream rate)',
        }),
        timeoutMs: Type.Integer({
          minimum: 2_000,
          maximum: 120_000,
          default: 15_000,
          description: 'Limit on each analysis (ffmpeg is killed after it)',
        }),
        batchMs: Type.Integer({
          minimum: 0,
          maximum: 30_000,
          default: 3_000,
          description:
            "How long a due analysis may wait for others to share one ffmpeg run (a run's start is much of its CPU), at most a tenth of intervalMs; the batch's run has timeoutMs. 0: each analysis a run of its own",
        }),
        decode: Type.Union([Type.Literal('all'), Type.Literal('keyframes')], {
          default: 'all',
          description:
            "'keyframes': decode only keyframes, a fraction of the CPU, for cameras that send one every second or two; 'all' works whatever the keyframe interval",
        }),
        referenceDir: Type.String({
          minLength: 1,
          default: './data/reference',
          description:
            'Commissioning reference frames, {dir}/{site id}/{camera id}.png, taken with npm run agent:reference',
        }),
        captureMissingReference: Type.Boolean({
          default: false,
          description:
            'Take the first analysed frame as the reference where a camera has none; off by default, so a camera already turned away is never commissioned that way',
        }),
      },
      'Video analysis',
    ),
    // Rationale for the defaults in src/health/impairment.ts and docs/architecture.md ("Monitor impairment").
    impairment: Group(
      {
        maxLoopLostShare: Type.Number({
          minimum: 0.01,
          maximum: 1,
          default: 0.2,
          description:
            "Share of a check's window the agent's event loop may lose to its own delays before a timeout in it is inconclusive (unknown, monitor_impaired)",
        }),
        maxCpuWaitShare: Type.Number({
          minimum: 0.01,
          maximum: 1,
          default: 0.5,
          description:
            "Share of a check's window the agent's own cgroup may wait for a CPU (Linux PSI) before a timeout in it is inconclusive",
        }),
      },
      "The agent's own health",
    ),
    metrics: Group(
      {
        port: Type.Integer({
          minimum: 0,
          maximum: 65535,
          default: 0,
          description: 'Port of the Prometheus /metrics listener; 0: none. Needs a metrics token',
        }),
        host: Type.String({ default: '127.0.0.1', description: 'Address the /metrics listener binds to' }),
        tokenFile: Optional(
          Type.String({
            description:
              'File holding the bearer token the scraper sends (or env CCTV_AGENT_METRICS_TOKEN); any local user is a stranger, so a listener without one is refused',
          }),
        ),
      },
      'Prometheus metrics',
    ),
    recording: Group(
      {
        intervalMs: Type.Integer({
          minimum: 5_000,
          default: 3_600_000,
          description:
            'How often each recording device (a camera recording itself, or a recorder) is asked how much video it holds',
        }),
        events: Type.Boolean({
          default: true,
          description:
            'Hold an ONVIF PullPoint subscription on each recording device for storage failures and tamper events',
        }),
        maxRecordings: Type.Integer({
          minimum: 1,
          maximum: 4096,
          default: 512,
          description: 'Recordings read from one device per poll (a recorder has one per channel)',
        }),
      },
      'Recording evidence (ONVIF Profile G)',
    ),
    recorders: Type.Array(
      Type.Object(
        {
          id: Id,
          name: Type.String({ minLength: 1, maxLength: 200 }),
          onvif: OnvifAccess,
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        maxItems: 64,
        description: "The site's recorders (ONVIF NVRs); cameras name theirs in recording.recorder",
      },
    ),
    cameras: Type.Array(AgentCamera, { maxItems: 2000, description: 'Cameras at this site' }),
  },
  { additionalProperties: false },
);
export type AgentConfig = Static<typeof AgentConfig>;

export const AGENT_ENV_ALIASES: Record<string, string> = {
  MQTT_URL: 'mqtt.url',
};
export const AGENT_ENV_PREFIX = 'CCTV_AGENT';

/**
 * How long work may wait for others to share a tool run: what the config asks, at most a tenth of the
 * period the work recurs at (snapshots, probes, video analyses alike).
 */
export function batchWindowMs(askedMs: number, periodMs: number): number {
  return Math.min(askedMs, Math.floor(periodMs / 10));
}

/** How long a probe may wait for a batch: `poll.probeBatchMs`, at most a tenth of the probe period. */
export function probeBatchWindowMs(poll: { probeBatchMs?: number; probeIntervalMs: number }): number {
  return batchWindowMs(poll.probeBatchMs ?? 0, poll.probeIntervalMs);
}

/**
 * Probe slots for `poll.probeConcurrency`: the number given, or for 'auto' enough for every camera
 * to be probed once per probe interval (each probe reads probeSampleMs of video after about 0.5 s
 * of set-up, and may first wait for a batch) and, with video analysis on, analysed once per
 * analysis period in the same slot (videoSampleMs after about 2 s of opening, having waited for a
 * batch), times 1.5, at least 2 and at most 32. With the defaults, 250 cameras get 32 (22 without
 * video analysis). Probes run in groups of a batch (phases.ts), so the margin also absorbs a group
 * arriving at once.
 */
export function probeSlots(
  poll: {
    probeConcurrency: number | 'auto';
    probeSampleMs: number;
    probeIntervalMs: number;
    probeBatchMs?: number;
  },
  cameras: number,
  video?: { enabled: boolean; intervalMs: number; sampleMs: number; batchMs: number },
): number {
  if (poll.probeConcurrency !== 'auto') return poll.probeConcurrency;
  const probing = (poll.probeSampleMs + 500 + probeBatchWindowMs(poll)) / poll.probeIntervalMs;
  const analysing = video?.enabled
    ? (video.sampleMs + 2_000 + batchWindowMs(video.batchMs, video.intervalMs)) / video.intervalMs
    : 0;
  const busy = cameras * (probing + analysing) * 1.5;
  return Math.min(32, Math.max(2, Math.ceil(busy)));
}
