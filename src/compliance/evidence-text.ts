import type { EvidenceBag } from './result.ts';

/*
 * Rule evidence in words and units for people (evidence packs, CSV text columns): "up 92.170 h",
 * "clock offset +0.421 s", "readings used up to 26 h old". The stored bags keep their machine keys
 * and raw numbers (results must stay reproducible); this is only how they are printed. Keys this
 * table does not know are still printed readably: the camelCase name becomes words and a unit
 * suffix (Ms, Share, Days, Kbps, ...) picks the unit, so a new rule never prints a raw key.
 */

const HOUR_MS = 3_600_000;

/**
 * A share as a percentage, rounded down so evidence never overstates: 99.996% shows as 99.99%, not
 * as a perfect 100.00%. The epsilon stops 0.995 * 10000 = 9949.999... losing a hundredth. The
 * uptime tables use this same function, so a rule's figure and the table's are the same text.
 */
export function sharePercent(share: number | null): string {
  if (share === null) return 'n/a';
  return `${(Math.floor(share * 10_000 + 1e-6) / 100).toFixed(2)}%`;
}

/** Hours with three decimals, as the uptime tables print camera time. */
export function hoursText(ms: number): string {
  return `${(ms / HOUR_MS).toFixed(3)} h`;
}

/** Seconds with three decimals and a sign, as the clock tables print offsets. */
export function signedSeconds(ms: number): string {
  return `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}

/** A limit given in milliseconds in its largest whole unit: 93600000 -> "26 h", 1000 -> "1 s". */
export function limitDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [HOUR_MS, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms} ms`;
}

function isoMinute(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC` : iso;
}

type Value = EvidenceBag[string];

/** Codes such as storage_failure read as words; other text (time zones, versions) is left as it is. */
const item = (v: string | number) =>
  typeof v === 'string' && /^[a-z]+(_[a-z]+)+$/.test(v) ? v.replace(/_/g, ' ') : v;
const list = (v: Value, empty = 'none') =>
  Array.isArray(v) ? (v.length > 0 ? v.map(item).join(', ') : empty) : v === null ? empty : String(v);
const yesNo = (v: Value) => (v === true ? 'yes' : v === false ? 'no' : 'not known');
const num = (unit: string, digits?: number) => (v: Value) =>
  typeof v === 'number' ? `${digits === undefined ? String(v) : v.toFixed(digits)} ${unit}` : 'not known';
const share = (v: Value) => (typeof v === 'number' ? sharePercent(v) : 'not known');
const hours = (v: Value) => (typeof v === 'number' ? hoursText(v) : 'not known');
const limit = (v: Value) => (typeof v === 'number' ? limitDuration(v) : 'not known');
const text = (v: Value) => (v === null ? 'not known' : list(v));
const ratio = (of: string) => (v: Value) => (typeof v === 'number' ? `${v.toFixed(2)} x ${of}` : 'not known');

/** Known keys: a label and how the value reads. Order here is the order printed. */
const KNOWN: Record<string, [string, (v: Value) => string]> = {
  availabilityShare: ['availability', share],
  availabilityUnknownAsDownShare: ['availability with unknown time counted as down', share],
  observedShare: ['observed', share],
  upMs: ['up', hours],
  degradedMs: ['degraded', hours],
  downMs: ['down', hours],
  unknownMs: ['unknown (no fresh data)', hours],
  maintenanceMs: ['maintenance', hours],
  minShare: ['minimum', share],
  period: ['measured per', (v) => (v === 'calendar-month' ? 'calendar month' : 'report period')],
  unknownCountsAsDown: ['unknown time counted as down', yesNo],
  offsetMs: ['clock offset', (v) => (typeof v === 'number' ? signedSeconds(v) : 'not known')],
  roundTripMs: ['round trip', num('ms', 0)],
  warnMs: ['warn above', limit],
  failMs: ['fail above', limit],
  requireNtp: ['NTP required', yesNo],
  dateTimeType: ['time set by', (v) => (v === 'NTP' ? 'NTP' : v === 'Manual' ? 'hand' : text(v))],
  timeZone: ['time zone', text],
  acceptedTimeZones: ['accepted time zones', (v) => list(v, 'any')],
  widthPx: ['frame width', num('px')],
  hfovDeg: ['horizontal field of view', num('degrees')],
  designDistanceM: ['design distance', num('m')],
  sceneWidthM: ['scene width', num('m', 2)],
  pxPerM: ['pixel density', num('px/m', 1)],
  minPxPerM: ['minimum', num('px/m', 1)],
  table: ['table', text],
  fps: ['frame rate', num('fps', 1)],
  requiredFps: ['required', num('fps', 1)],
  minFps: ['minimum', num('fps', 1)],
  purpose: ['purpose', text],
  codec: ['codec', text],
  allowed: ['allowed codecs', list],
  bitrateKbps: ['measured bitrate', num('kbit/s', 0)],
  commissionedKbps: ['commissioned bitrate', num('kbit/s', 0)],
  shareOfCommissioned: ['share of commissioned', share],
  minShareOfCommissioned: ['minimum share of commissioned', share],
  declaredKbps: ['declared profile bitrate', num('kbit/s', 0)],
  shareOfDeclared: ['share of declared', share],
  subStreamsChecked: ['sub-streams checked', num('', 0)],
  subStreamWorstShare: ['worst sub-stream share of declared', share],
  minShareOfDeclared: ['minimum share of declared', share],
  maxShareOfDeclared: ['maximum share of declared', share],
  maxActiveMinutes: ['longest fault allowed', num('min')],
  faults: ['faults checked', list],
  activeEvents: ['active events', list],
  eventTypes: ['events checked', list],
  frozenShare: ['still', (v) => (typeof v === 'number' ? `${sharePercent(v)} of the sample` : 'not known')],
  blackShare: ['black', (v) => (typeof v === 'number' ? `${sharePercent(v)} of the sample` : 'not known')],
  sharpnessRatio: ['sharpness', ratio('the reference')],
  sceneSsim: ['likeness to the reference view (SSIM)', num('', 2)],
  snapshotSsim: ['snapshot likeness to the stream (SSIM)', num('', 2)],
  snapshotRepeats: ['identical snapshots in a row', num('', 0)],
  blurMethod: ['blur measured by', text],
  minFrozenShare: [
    'frozen from',
    (v) => (typeof v === 'number' ? `${sharePercent(v)} of the sample still` : 'not known'),
  ],
  minBlackShare: [
    'black from',
    (v) => (typeof v === 'number' ? `${sharePercent(v)} of the sample black` : 'not known'),
  ],
  minSharpnessRatio: ['blurred below', ratio('the reference sharpness')],
  minSceneSsim: ['view changed below SSIM', num('', 2)],
  staleSnapshotRepeats: ['snapshot stale after', num('repeats', 0)],
  minSnapshotSsim: ['snapshot unrelated below SSIM', num('', 2)],
  firmwareVersion: ['firmware', text],
  manufacturer: ['make', text],
  model: ['model', text],
  approved: ['approved firmware', (v) => list(v, 'none listed')],
  retentionDays: ['recordings kept', num('days')],
  oldestRecordingAt: ['oldest recording', (v) => (typeof v === 'string' ? isoMinute(v) : text(v))],
  reviewAgeDays: ['annual review', num('days old', 0)],
  dpiaAgeDays: ['DPIA', num('days old', 0)],
  certificateAgeDays: ['certificate', num('days old', 0)],
  maxReviewAgeDays: ['review at most', num('days old', 0)],
  maxDpiaAgeDays: ['DPIA at most', num('days old', 0)],
  maxCertificateAgeDays: ['certificate at most', num('days old', 0)],
  minDays: ['at least', num('days')],
  maxDays: ['at most', (v) => (v === null ? 'not declared' : num('days')(v))],
  require: ['records required', list],
  views: ['feed views', num('', 0)],
  loggedComplete: ['fully logged', num('', 0)],
  loggedShare: ['logged', share],
  minLoggedShare: ['minimum logged', share],
  chainIntact: ['audit log verified', yesNo],
  chainCheckedAt: ['audit log checked', (v) => (typeof v === 'string' ? isoMinute(v) : text(v))],
  maxAgeMs: ['readings used up to', (v) => (typeof v === 'number' ? `${limitDuration(v)} old` : 'not known')],
};

/** Unit suffixes of evidence keys, longest first. */
const SUFFIXES: [string, (v: Value) => string][] = [
  ['ActiveMinutes', (v) => (typeof v === 'number' ? `active ${v.toFixed(0)} min` : 'not active')],
  ['AgeDays', num('days old', 0)],
  ['Minutes', num('min', 0)],
  ['Share', share],
  ['Kbps', num('kbit/s', 0)],
  ['Days', num('days', 1)],
  ['Fps', num('fps', 1)],
  ['PxPerM', num('px/m', 1)],
  ['Px', num('px')],
  ['Deg', num('degrees')],
  ['Ms', (v) => (typeof v === 'number' ? limitDuration(v) : 'not known')],
  ['At', (v) => (typeof v === 'string' ? isoMinute(v) : text(v))],
];

/** "blankActiveMinutes" -> "blank"; "maxSomethingNew" -> "max something new". */
function words(camel: string): string {
  return camel
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .trim();
}

export interface EvidenceItem {
  key: string;
  label: string;
  text: string;
}

function describe(key: string, value: Value): EvidenceItem {
  // "minFps.identify": a per-purpose (or per-kind) variant of a known key.
  const dot = key.indexOf('.');
  if (dot > 0) {
    const base = describe(key.slice(0, dot), value);
    return { key, label: `${base.label} for ${words(key.slice(dot + 1))}`, text: base.text };
  }
  const known = KNOWN[key];
  if (known) return { key, label: known[0], text: known[1](value).trim() };
  for (const [suffix, format] of SUFFIXES) {
    if (key.endsWith(suffix) && key.length > suffix.length) {
      return { key, label: words(key.slice(0, -suffix.length)), text: format(value).trim() };
    }
  }
  const shown =
    typeof value === 'boolean' ? yesNo(value) : typeof value === 'number' ? String(value) : text(value);
  return { key, label: words(key), text: shown };
}

const ORDER = Object.keys(KNOWN);
const rank = (key: string) => {
  const i = ORDER.indexOf(key);
  return i < 0 ? ORDER.length : i;
};

/** Each entry of a bag as label and text, known keys in a stable reading order, others after them. */
export function describeEvidence(bag: EvidenceBag): EvidenceItem[] {
  return Object.entries(bag)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([key, value]) => describe(key, value));
}

/** "availability 51.12%; up 92.170 h; ..." or undefined for an empty bag. */
export function evidenceText(bag: EvidenceBag): string | undefined {
  const items = describeEvidence(bag);
  return items.length > 0 ? items.map((i) => `${i.label} ${i.text}`).join('; ') : undefined;
}
