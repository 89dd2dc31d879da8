import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOverrides, evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import { loadRulePacks } from '../../../src/compliance/load-packs.ts';
import type { Rule, RuleKind, RulePack } from '../../../src/compliance/rule-pack.ts';
import type { VideoCheck } from '../../../src/schemas/video-check.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, NOW_MS, ruleOf, SHIPPED_PACKS } from './evidence-builders.ts';

// Evidence that would often pass, with every field generated; each "remover" then takes away (or ages)
// one piece a rule needs. Whatever the rest says, the rule must not pass.

const purpose = fc.constantFrom('identify', 'recognise', 'observe', 'detect', 'monitor' as const);
const ageMs = fc.integer({ min: 0, max: 60 * MINUTE_MS });
const image = fc.record({
  meanLuma: fc.integer({ min: 0, max: 255 }),
  lumaStdDev: fc.integer({ min: 0, max: 100 }),
  blank: fc.boolean(),
  dark: fc.boolean(),
});

/** A healthy analysis against a reference frame, as an agent reports it. */
const GOOD_VIDEO: VideoCheck = {
  checkedAt: new Date(NOW_MS).toISOString(),
  sampleMs: 4000,
  frames: 8,
  frozenShare: 0,
  blackShare: 0,
  blurMethod: 'edgedetect',
  sharpness: 0.012,
  sharpnessRatio: 1,
  sceneSsim: 0.8,
  snapshotSsim: 0.8,
  snapshotRepeats: 0,
  frozen: false,
  black: false,
  blurred: false,
  sceneChanged: false,
  snapshotStale: false,
  snapshotMismatch: false,
};

const evidenceArb: fc.Arbitrary<Evidence> = fc
  .record({
    purpose,
    hfovDeg: fc.double({ min: 5, max: 170, noNaN: true }),
    designDistanceM: fc.double({ min: 0.5, max: 200, noNaN: true }),
    commissionedKbps: fc.integer({ min: 100, max: 20_000 }),
    up: fc.nat(),
    degraded: fc.nat(),
    down: fc.nat(),
    unknown: fc.nat(),
    maintenance: fc.nat(),
    offsetMs: fc.integer({ min: -10_000, max: 10_000 }),
    dateTimeType: fc.constantFrom('NTP', 'Manual', null),
    timeZone: fc.constantFrom('GMT0BST,M3.5.0/1,M10.5.0', 'UTC0', null),
    firmwareVersion: fc.constantFrom('5.51.2', '1.0'),
    healthAgeMs: ageMs,
    streamAgeMs: ageMs,
    width: fc.integer({ min: 1, max: 8000 }),
    fps: fc.option(fc.double({ min: 0, max: 60, noNaN: true }), { nil: null }),
    bitrateKbps: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null }),
    codec: fc.constantFrom('h264', 'hevc', 'mjpeg'),
    images: fc.array(fc.record({ ageMs, image: fc.option(image, { nil: null }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    events: fc.array(
      fc.record({
        type: fc.constantFrom(
          'tamper',
          'storage_failure',
          'hardware_failure',
          'video_loss',
          'other' as const,
        ),
        sinceMs: fc.integer({ min: NOW_MS - DAY_MS, max: NOW_MS }),
      }),
      { maxLength: 2 },
    ),
    retentionDays: fc.integer({ min: 0, max: 400 }),
    reviewAge: fc.integer({ min: 0, max: 2000 }),
    dpiaAge: fc.integer({ min: 0, max: 2000 }),
    certificateAge: fc.integer({ min: 0, max: 2000 }),
  })
  .map((g) => ({
    camera: {
      id: 'cam-1',
      purpose: g.purpose,
      hfovDeg: g.hfovDeg,
      designDistanceM: g.designDistanceM,
      bitrateKbps: g.commissionedKbps,
    },
    period: {
      fromMs: Date.parse('2026-03-01T00:00:00Z'),
      toMs: NOW_MS,
      durations: {
        up: g.up,
        degraded: g.degraded,
        down: g.down,
        unknown: g.unknown,
        maintenance: g.maintenance,
      },
    },
    latestHealth: {
      observedAtMs: NOW_MS - g.healthAgeMs,
      payload: {
        cameraId: 'cam-1',
        state: 'up',
        reasons: [],
        responseMs: 100,
        clock: {
          offsetMs: g.offsetMs,
          roundTripMs: 20,
          dateTimeType: g.dateTimeType,
          timeZone: g.timeZone,
          daylightSavings: null,
        },
        device: {
          manufacturer: 'A',
          model: 'B',
          firmwareVersion: g.firmwareVersion,
          serialNumber: 'S',
          hardwareId: 'H',
        },
        image: null,
      },
    },
    latestStream: {
      observedAtMs: NOW_MS - g.streamAgeMs,
      payload: {
        cameraId: 'cam-1',
        uri: 'rtsp://192.0.2.1/s',
        codec: g.codec,
        width: g.width,
        height: 1080,
        fps: g.fps,
        bitrateKbps: g.bitrateKbps,
        declared: {
          token: 'main',
          encoding: 'H264',
          width: g.width,
          height: 1080,
          fps: g.fps,
          bitrateKbps: g.bitrateKbps,
        },
        probeMs: 500,
      },
    },
    recentImages: g.images.map((s) => ({ observedAtMs: NOW_MS - s.ageMs, image: s.image })),
    recentVideo: [{ observedAtMs: NOW_MS - g.healthAgeMs, video: { ...GOOD_VIDEO } }],
    activeEvents: g.events,
    retention: {
      days: g.retentionDays,
      observedAtMs: NOW_MS - g.healthAgeMs,
      earliestMs: NOW_MS - g.healthAgeMs - (g.retentionDays + 0.5) * DAY_MS,
    },
    access: { views: 3, complete: 3, chainIntact: true, chainCheckedAtMs: NOW_MS, chainMessage: 'ok' },
    records: {
      lastReviewAtMs: NOW_MS - g.reviewAge * DAY_MS,
      dpiaAtMs: NOW_MS - g.dpiaAge * DAY_MS,
      certificateIssuedAtMs: NOW_MS - g.certificateAge * DAY_MS,
    },
  }));

type Remover = (e: Evidence) => void;
const noReference: Remover = (e) => {
  e.recentVideo = e.recentVideo?.map((s) => ({
    ...s,
    video: { ...s.video, sceneSsim: null, sceneChanged: null, sharpnessRatio: null, blurred: null },
  }));
};
const STALE_MS = 30 * 24 * HOUR_MS;
const noHealth: Remover = (e) => delete e.latestHealth;
const staleHealth: Remover = (e) => {
  if (e.latestHealth) e.latestHealth.observedAtMs = NOW_MS - STALE_MS;
};
const noClock: Remover = (e) => {
  if (e.latestHealth) e.latestHealth.payload.clock = null;
};
const noStream: Remover = (e) => delete e.latestStream;
const staleStream: Remover = (e) => {
  if (e.latestStream) e.latestStream.observedAtMs = NOW_MS - STALE_MS;
};
const noDurations: Remover = (e) => delete e.period.durations;
const stream =
  (edit: (p: NonNullable<Evidence['latestStream']>['payload']) => void): Remover =>
  (e) => {
    if (e.latestStream) edit(e.latestStream.payload);
  };

/** What each kind cannot do without. */
const REMOVERS: Record<RuleKind, Remover[]> = {
  availability: [noDurations],
  observed: [noDurations],
  'clock-offset': [noHealth, staleHealth, noClock],
  'clock-source': [noHealth, staleHealth, noClock],
  'pixel-density': [
    noStream,
    staleStream,
    stream((p) => (p.width = 0)),
    (e) => delete e.camera.purpose,
    (e) => delete e.camera.hfovDeg,
    (e) => delete e.camera.designDistanceM,
  ],
  'frame-rate': [noStream, staleStream, stream((p) => (p.fps = null))],
  codec: [noStream, staleStream, stream((p) => (p.codec = ''))],
  bitrate: [noStream, staleStream, stream((p) => (p.bitrateKbps = null)), (e) => delete e.camera.bitrateKbps],
  'bitrate-declared': [
    noStream,
    staleStream,
    stream((p) => (p.bitrateKbps = null)),
    stream((p) => (p.declared = null)),
  ],
  image: [
    (e) => delete e.recentImages,
    (e) => (e.recentImages = []),
    (e) => (e.recentImages = e.recentImages?.map((s) => ({ ...s, image: null }))),
    (e) => (e.recentImages = e.recentImages?.map((s) => ({ ...s, observedAtMs: NOW_MS - STALE_MS }))),
  ],
  video: [
    (e) => delete e.recentVideo,
    (e) => (e.recentVideo = []),
    (e) => (e.recentVideo = e.recentVideo?.map((s) => ({ ...s, observedAtMs: NOW_MS - STALE_MS }))),
    noReference,
  ],
  retention: [(e) => delete e.retention],
  storage: [(e) => delete e.activeEvents],
  firmware: [
    noHealth,
    staleHealth,
    (e) => {
      if (e.latestHealth) e.latestHealth.payload.device = null;
    },
  ],
  // Per required record: see removersOf.
  review: [(e) => delete e.records],
  'access-audit': [(e) => delete e.access],
};

const shipped = [...loadRulePacks(SHIPPED_PACKS).values()].map((p: RulePack) =>
  applyOverrides(p, { firmware: { approved: ['5.51.2'] } }),
);
// Shipped rules plus variants that reach other branches.
const rules: Rule[] = [
  ...shipped.flatMap((p) => p.rules),
  ruleOf('availability', { unknownCountsAsDown: true, minShare: 0 }),
  ruleOf('observed', { minShare: 0 }),
  ruleOf('pixel-density', { table: 'iec-62676-4-2025' }),
  ruleOf('pixel-density', { minPxPerM: { identify: 1, recognise: 1, observe: 1, detect: 1, monitor: 1 } }),
  ruleOf('frame-rate', { minFps: 0, minFpsByPurpose: {} }),
  ruleOf('bitrate', { minShareOfCommissioned: 0 }),
  ruleOf('bitrate-declared', {}),
  ruleOf('image', { faults: ['tamper'] }),
  ruleOf('retention', { minDays: 0.001, maxDays: 1000 }),
  ruleOf('review', { require: ['certificate'], maxCertificateAgeDays: 100_000 }),
  ruleOf('clock-source', { requireNtp: false }),
];
// A review rule needs the records it requires; an image rule needs snapshots for blank/dark and the event state for tamper.
const RECORD_FIELD = {
  review: 'lastReviewAtMs',
  dpia: 'dpiaAtMs',
  certificate: 'certificateIssuedAtMs',
} as const;
const removersOf = (rule: Rule): Remover[] => {
  if (rule.kind === 'review') {
    return [
      ...REMOVERS.review,
      ...rule.params.require.map(
        (c): Remover =>
          (e) =>
            delete e.records?.[RECORD_FIELD[c]],
      ),
    ];
  }
  if (rule.kind !== 'image') return REMOVERS[rule.kind];
  const snapshots = rule.params.faults.some((f) => f !== 'tamper') ? REMOVERS.image : [];
  const events: Remover[] = rule.params.faults.includes('tamper') ? [(e) => delete e.activeEvents] : [];
  return [...snapshots, ...events];
};

describe('missing evidence never passes', () => {
  it('covers every rule kind', () => {
    expect(new Set(rules.map((r) => r.kind)).size).toBe(Object.keys(REMOVERS).length);
  });

  it('no rule returns pass when one piece of its required evidence is absent or stale', () => {
    const cases = rules.flatMap((rule) => removersOf(rule).map((remove, i) => ({ rule, remove, i })));
    fc.assert(
      fc.property(evidenceArb, fc.constantFrom(...cases), (evidence, { rule, remove }) => {
        remove(evidence);
        const result = evaluateRule(rule, evidence, NOW_MS);
        expect(result.status, `${rule.id}: ${result.reason}`).not.toBe('pass');
        if (result.status === 'not_evaluable') expect(result.reason).not.toBe('');
      }),
      { numRuns: 3000 },
    );
  });

  it('the generated evidence does pass sometimes, so the property is not vacuous', () => {
    const passing = new Set<string>();
    fc.assert(
      fc.property(evidenceArb, (evidence) => {
        for (const rule of rules)
          if (evaluateRule(rule, evidence, NOW_MS).status === 'pass') passing.add(rule.kind);
      }),
      { numRuns: 300 },
    );
    expect([...passing].sort()).toEqual(Object.keys(REMOVERS).sort());
  });
});
