import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { checkRule } from '../../../src/compliance/check-rule.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { RuleKind, RuleOf } from '../../../src/compliance/rule-pack.ts';
import type { HealthPayload, StreamPayload } from '../../../src/schemas/payloads.ts';
import type { VideoCheck } from '../../../src/schemas/video-check.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** 2026-03-15T12:00:00Z, mid-month, outside any clock change. */
export const NOW_MS = Date.parse('2026-03-15T12:00:00Z');
/** March 2026 in Europe/London starts at midnight GMT. */
export const MARCH_FROM_MS = Date.parse('2026-03-01T00:00:00Z');

export function healthPayload(over: Partial<HealthPayload> = {}): HealthPayload {
  return {
    cameraId: 'cam-1',
    state: 'up',
    reasons: [],
    responseMs: 120,
    clock: {
      offsetMs: 200,
      roundTripMs: 40,
      dateTimeType: 'NTP',
      timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
      daylightSavings: false,
    },
    device: {
      manufacturer: 'Acme',
      model: 'Dome 4K',
      firmwareVersion: '5.51.2',
      serialNumber: 'SN1',
      hardwareId: 'HW1',
    },
    image: { meanLuma: 120, lumaStdDev: 40, blank: false, dark: false },
    ...over,
  };
}

export function streamPayload(over: Partial<StreamPayload> = {}): StreamPayload {
  return {
    cameraId: 'cam-1',
    uri: 'rtsp://192.0.2.10/stream1',
    codec: 'h264',
    width: 1920,
    height: 1080,
    fps: 25,
    bitrateKbps: 3000,
    declared: null,
    probeMs: 900,
    ...over,
  };
}

/** A healthy video analysis against a reference frame, as an agent reports it. */
export function goodVideo(atMs: number): VideoCheck {
  return {
    checkedAt: new Date(atMs).toISOString(),
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
}

/** The ONVIF media profile a camera declares, as the agent reports it beside the measured stream. */
export function declaredProfile(bitrateKbps: number | null): NonNullable<StreamPayload['declared']> {
  return { token: 'main', encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrateKbps };
}

/** Evidence that meets every rule of police-evidential@3 (firmware 5.51.2 once approved). */
export function goodEvidence(): Evidence {
  return {
    // 1920 px, 90 degrees, 10 m: 96 px/m, enough for observe (62.5).
    camera: { id: 'cam-1', purpose: 'observe', hfovDeg: 90, designDistanceM: 10, bitrateKbps: 4000 },
    period: {
      fromMs: MARCH_FROM_MS,
      toMs: NOW_MS,
      durations: { up: NOW_MS - MARCH_FROM_MS, degraded: 0, down: 0, unknown: 0, maintenance: 0 },
    },
    latestHealth: { payload: healthPayload(), observedAtMs: NOW_MS - 5 * MINUTE_MS },
    // 3000 kbps measured against a declared 4000: 75%, within the bitrate-declared rule's 25% to 200%.
    latestStream: {
      payload: streamPayload({ declared: declaredProfile(4000) }),
      observedAtMs: NOW_MS - 3 * HOUR_MS,
    },
    recentImages: [0, 5, 10].map((m) => ({
      observedAtMs: NOW_MS - m * MINUTE_MS,
      image: { meanLuma: 120, lumaStdDev: 40, blank: false, dark: false },
    })),
    recentVideo: [0, 5, 10].map((m) => ({
      observedAtMs: NOW_MS - m * MINUTE_MS,
      video: goodVideo(NOW_MS - m * MINUTE_MS),
    })),
    activeEvents: [],
    retention: { days: 31, observedAtMs: NOW_MS - 20 * MINUTE_MS, earliestMs: NOW_MS - 31.5 * DAY_MS },
    access: { views: 2, complete: 2, chainIntact: true, chainCheckedAtMs: NOW_MS, chainMessage: 'ok' },
    records: {
      lastReviewAtMs: NOW_MS - 100 * DAY_MS,
      dpiaAtMs: NOW_MS - 200 * DAY_MS,
      certificateIssuedAtMs: NOW_MS - 3 * 365 * DAY_MS,
    },
  };
}

/** A validated rule of `kind` with default params, then `params` on top. */
export function ruleOf<K extends RuleKind>(
  kind: K,
  params: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): RuleOf<K> {
  const checked = checkRule({
    id: `test-${kind}`,
    kind,
    title: kind,
    source: 'test',
    severity: 'fail',
    params,
    ...extra,
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.rule as RuleOf<K>;
}

/** Deep copy with `edit` applied, so table rows never share evidence. */
export function withEvidence(edit: (e: Evidence) => void): Evidence {
  const e = Value.Clone(goodEvidence());
  edit(e);
  return e;
}

export const SHIPPED_PACKS = ['public-space-baseline.yaml', 'police-evidential.yaml'].map((file) => ({
  name: `config/certification/${file}`,
  text: readFileSync(new URL(`../../../config/certification/${file}`, import.meta.url), 'utf8'),
}));

export function fixture(file: string): { name: string; text: string } {
  return {
    name: `test/fixtures/certification/${file}`,
    text: readFileSync(new URL(`../../fixtures/certification/${file}`, import.meta.url), 'utf8'),
  };
}
