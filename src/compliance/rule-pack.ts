import { type Static, type TNumber, type TObject, Type } from '@sinclair/typebox';
import type { Purpose } from '../schemas/commissioning.ts';
import { Id, Strict } from '../schemas/common.ts';
import { CameraEventType } from '../schemas/payloads.ts';
import { VIDEO_FAULTS, VideoFault } from '../schemas/video-check.ts';

// Defaults follow DESIGN "Certification codes and compliance", reference thresholds table. Shipped packs
// still state every threshold they rely on, so a change of default here never silently changes a pack.

const HOUR_MS = 3_600_000;
/** Health polls arrive every few minutes: two hours without one means the reading no longer describes the camera. */
export const HEALTH_MAX_AGE_MS = 2 * HOUR_MS;
/** Stream probes may run once a day; 26 h leaves room for a late daily probe. */
export const STREAM_MAX_AGE_MS = 26 * HOUR_MS;
/**
 * Agents read retention hourly: three hours without a reading means the recorder could not be read
 * (a recorder that lost its disk shows it at the next reading), so the last figure no longer stands.
 */
export const RETENTION_MAX_AGE_MS = 3 * HOUR_MS;
export const UK_TIME_ZONE = 'GMT0BST,M3.5.0/1,M10.5.0';

const Share = (defaultValue: number, description: string) =>
  Type.Number({ minimum: 0, maximum: 1, default: defaultValue, description });
const MaxAgeMs = (defaultValue: number) =>
  Type.Integer({
    exclusiveMinimum: 0,
    default: defaultValue,
    description: 'A reading older than this counts as missing',
  });
const Days = (defaultValue: number, description: string) =>
  Type.Number({ exclusiveMinimum: 0, default: defaultValue, description });

/** Optional per-purpose numbers, e.g. `{ identify: 12 }`. */
function perPurpose(
  value: () => TNumber,
  description: string,
  defaultValue?: Partial<Record<Purpose, number>>,
) {
  const o = Type.Optional;
  return Type.Object(
    {
      identify: o(value()),
      recognise: o(value()),
      observe: o(value()),
      detect: o(value()),
      monitor: o(value()),
    },
    { ...Strict, description, ...(defaultValue ? { default: defaultValue } : {}) },
  );
}

export const SnapshotFault = Type.Union([
  Type.Literal('blank'),
  Type.Literal('dark'),
  Type.Literal('tamper'),
]);
export type SnapshotFault = Static<typeof SnapshotFault>;
export const ReviewCheck = Type.Union([
  Type.Literal('review'),
  Type.Literal('dpia'),
  Type.Literal('certificate'),
]);
export type ReviewCheck = Static<typeof ReviewCheck>;

/** Strict params per rule kind: unknown fields are rejected, missing ones take the default. */
export const RuleParamsByKind = {
  availability: Type.Object(
    {
      minShare: Share(0.995, 'Minimum (up + degraded) / observed time'),
      period: Type.Union([Type.Literal('calendar-month'), Type.Literal('any')], {
        default: 'any',
        description: 'calendar-month: the period must be one Europe/London calendar month (or part of it)',
      }),
      unknownCountsAsDown: Type.Boolean({
        default: false,
        description: 'Count time without fresh data as downtime instead of leaving it out',
      }),
    },
    Strict,
  ),
  observed: Type.Object({ minShare: Share(0.99, 'Minimum share of the period with fresh data') }, Strict),
  'clock-offset': Type.Object(
    {
      warnMs: Type.Number({ minimum: 0, default: 1000, description: 'Warn when |offset| exceeds this' }),
      failMs: Type.Number({ minimum: 0, default: 5000, description: 'Fail when |offset| exceeds this' }),
      maxAgeMs: MaxAgeMs(HEALTH_MAX_AGE_MS),
    },
    Strict,
  ),
  'clock-source': Type.Object(
    {
      requireNtp: Type.Boolean({ default: true }),
      acceptedTimeZones: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        default: [UK_TIME_ZONE],
        description: 'POSIX TZ strings (or names) accepted as the camera time zone; empty = any',
      }),
      maxAgeMs: MaxAgeMs(HEALTH_MAX_AGE_MS),
    },
    Strict,
  ),
  'pixel-density': Type.Object(
    {
      table: Type.Union([Type.Literal('bs-en-62676-4-2015'), Type.Literal('iec-62676-4-2025')], {
        default: 'bs-en-62676-4-2015',
        description: 'Which standard edition supplies px/m per purpose',
      }),
      minPxPerM: Type.Optional(
        perPurpose(() => Type.Number({ exclusiveMinimum: 0 }), 'Per-purpose px/m replacing the table value'),
      ),
      maxAgeMs: MaxAgeMs(STREAM_MAX_AGE_MS),
    },
    Strict,
  ),
  'frame-rate': Type.Object(
    {
      minFps: Type.Number({ minimum: 0, default: 6 }),
      minFpsByPurpose: perPurpose(
        () => Type.Number({ minimum: 0 }),
        'Per-purpose minimum fps replacing minFps',
        {
          identify: 12,
        },
      ),
      maxAgeMs: MaxAgeMs(STREAM_MAX_AGE_MS),
    },
    Strict,
  ),
  codec: Type.Object(
    {
      allowed: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), {
        minItems: 1,
        default: ['h264', 'h265', 'hevc'],
        description: 'Codec names, compared case-insensitively ignoring dots and dashes',
      }),
      maxAgeMs: MaxAgeMs(STREAM_MAX_AGE_MS),
    },
    Strict,
  ),
  bitrate: Type.Object(
    {
      minShareOfCommissioned: Share(0.5, 'Minimum measured / commissioned bitrate'),
      maxAgeMs: MaxAgeMs(STREAM_MAX_AGE_MS),
    },
    Strict,
  ),
  // ONVIF's BitrateLimit is the encoder's target (CBR) or cap (VBR). A probe samples a second or two, and a
  // sample holding a keyframe over-reads (the simulator's x264 reads ~145% of its limit that way), so the
  // upper margin is 2x: beyond it the encoder is set up outside its profile or packets are repeated. Far
  // below means the profile no longer describes the stream (a VBR encoder on a quiet scene runs well under
  // its cap, hence the wide lower margin).
  'bitrate-declared': Type.Object(
    {
      minShareOfDeclared: Share(0.25, 'Minimum measured / declared profile bitrate'),
      maxShareOfDeclared: Type.Number({
        exclusiveMinimum: 0,
        default: 2,
        description: 'Maximum measured / declared profile bitrate',
      }),
      maxAgeMs: MaxAgeMs(STREAM_MAX_AGE_MS),
    },
    Strict,
  ),
  image: Type.Object(
    {
      maxActiveMinutes: Type.Number({ minimum: 0, default: 15 }),
      faults: Type.Array(SnapshotFault, { minItems: 1, default: ['blank', 'dark'] }),
      maxAgeMs: MaxAgeMs(HEALTH_MAX_AGE_MS),
    },
    Strict,
  ),
  video: Type.Object(
    {
      maxActiveMinutes: Type.Number({ minimum: 0, default: 15 }),
      faults: Type.Array(VideoFault, { minItems: 1, uniqueItems: true, default: [...VIDEO_FAULTS] }),
      minFrozenShare: Share(0.9, 'Share of a video sample still (freezedetect) from which it is frozen'),
      minBlackShare: Share(0.9, 'Share of a video sample black (blackdetect) from which it is black'),
      minSharpnessRatio: Type.Number({
        minimum: 0,
        default: 0.5,
        description: "Sharpness over the commissioning reference frame's below which the view is blurred",
      }),
      minSceneSsim: Share(
        0.5,
        'SSIM with the commissioning reference frame below which the view has changed',
      ),
      staleSnapshotRepeats: Type.Integer({
        minimum: 1,
        default: 4,
        description: 'Byte-identical snapshots in a row (after the first), while the stream moves',
      }),
      minSnapshotSsim: Share(
        0.4,
        'SSIM between snapshot and stream below which the snapshot shows another view',
      ),
      maxAgeMs: MaxAgeMs(HEALTH_MAX_AGE_MS),
    },
    Strict,
  ),
  retention: Type.Object(
    {
      minDays: Days(31, 'Oldest recording must be at least this old'),
      maxDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Declared maximum retention' })),
      maxAgeMs: MaxAgeMs(RETENTION_MAX_AGE_MS),
    },
    Strict,
  ),
  storage: Type.Object(
    {
      eventTypes: Type.Array(CameraEventType, {
        minItems: 1,
        default: ['storage_failure', 'hardware_failure'],
      }),
    },
    Strict,
  ),
  firmware: Type.Object(
    {
      approved: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        default: [],
        description: 'Approved firmware versions; empty means not configured (not evaluable)',
      }),
      maxAgeMs: MaxAgeMs(HEALTH_MAX_AGE_MS),
    },
    Strict,
  ),
  review: Type.Object(
    {
      require: Type.Array(ReviewCheck, {
        minItems: 1,
        uniqueItems: true,
        default: ['review', 'dpia', 'certificate'],
      }),
      maxReviewAgeDays: Days(365, 'Annual review'),
      maxDpiaAgeDays: Days(365, 'DPIA reviewed with the annual review'),
      maxCertificateAgeDays: Days(1826, 'Certificate validity, 5 years'),
    },
    Strict,
  ),
  'access-audit': Type.Object(
    { minLoggedShare: Share(1, 'Share of feed views and exports logged with user, purpose, incident') },
    Strict,
  ),
} satisfies Record<string, TObject>;

export type RuleKind = keyof typeof RuleParamsByKind;
export const RULE_KINDS = Object.keys(RuleParamsByKind) as RuleKind[];
export type RuleParams<K extends RuleKind> = Static<(typeof RuleParamsByKind)[K]>;

export const Severity = Type.Union([Type.Literal('fail'), Type.Literal('warn')], {
  description: 'The worst status a violation of this rule gives',
});
export type Severity = Static<typeof Severity>;

/** Fields every rule has; `params` is checked against its kind's schema separately for precise messages. */
export const RuleBase = Type.Object(
  {
    id: Id,
    kind: Type.String(),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    source: Type.String({
      minLength: 1,
      maxLength: 300,
      pattern: '^[^\\n]+$',
      description: 'One-line citation: principle or standard clause',
    }),
    principles: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'Surveillance Camera Code of Practice principles (1-12) the rule evidences; the evidence pack summarises per principle',
      }),
    ),
    severity: Severity,
    overridable: Type.Optional(
      Type.Array(Type.String(), { description: 'Params an assignment may override', uniqueItems: true }),
    ),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { default: {} })),
  },
  Strict,
);

const ruleOf = <K extends RuleKind>(kind: K) =>
  Type.Object(
    {
      ...RuleBase.properties,
      kind: Type.Literal(kind),
      params: RuleParamsByKind[kind] as (typeof RuleParamsByKind)[K],
    },
    Strict,
  );

/** A validated rule with every param filled in; spelled out so `Static` keeps each kind's params. */
export const Rule = Type.Union([
  ruleOf('availability'),
  ruleOf('observed'),
  ruleOf('clock-offset'),
  ruleOf('clock-source'),
  ruleOf('pixel-density'),
  ruleOf('frame-rate'),
  ruleOf('codec'),
  ruleOf('bitrate'),
  ruleOf('bitrate-declared'),
  ruleOf('image'),
  ruleOf('video'),
  ruleOf('retention'),
  ruleOf('storage'),
  ruleOf('firmware'),
  ruleOf('review'),
  ruleOf('access-audit'),
]);
export type Rule = Static<typeof Rule>;
export type RuleOf<K extends RuleKind> = Extract<Rule, { kind: K }>;

export const PackVersion = Type.Union(
  [
    Type.Integer({ minimum: 1 }),
    Type.String({
      pattern: '^\\d+(\\.\\d+){0,2}(-[0-9A-Za-z.-]+)?$',
      description: 'semver-like, e.g. 1.2.0',
    }),
  ],
  { description: 'Results pin code@version, so a pack never changes without a new version' },
);

export const RulePack = Type.Object(
  {
    code: Id,
    version: PackVersion,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 4000 }),
    appliesTo: Type.Array(Type.String({ maxLength: 500 }), {
      description: 'Notes on where the code applies',
    }),
    rules: Type.Array(Rule, { minItems: 1 }),
  },
  Strict,
);
export type RulePack = Static<typeof RulePack>;

/** The key results record: `code@version`. */
export function packRef(pack: Pick<RulePack, 'code' | 'version'>): string {
  return `${pack.code}@${pack.version}`;
}
