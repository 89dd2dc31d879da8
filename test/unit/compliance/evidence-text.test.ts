import { describe, expect, it } from 'vitest';
import {
  describeEvidence,
  evidenceText,
  limitDuration,
  sharePercent,
} from '../../../src/compliance/evidence-text.ts';

describe('evidenceText', () => {
  it.each([
    // The examples: raw keys and milliseconds became words and units.
    [{ upMs: 331_827 }, 'up 0.092 h'],
    [{ maxAgeMs: 93_600_000 }, 'readings used up to 26 h old'],
    [{ minShare: 0.995, period: 'calendar-month' }, 'minimum 99.50%; measured per calendar month'],
    [{ availabilityShare: 0.511_29, upMs: 3_600_000 }, 'availability 51.12%; up 1.000 h'],
    [{ offsetMs: -421, roundTripMs: 3 }, 'clock offset -0.421 s; round trip 3 ms'],
    [{ warnMs: 1000, failMs: 5000 }, 'warn above 1 s; fail above 5 s'],
    [
      { retentionDays: 31.5, minDays: 31, maxDays: null },
      'recordings kept 31.5 days; at least 31 days; at most not declared',
    ],
    [{ activeEvents: [] }, 'active events none'],
    [
      { sceneSsim: 0.21, minSceneSsim: 0.5, sharpnessRatio: null },
      'sharpness not known; likeness to the reference view (SSIM) 0.21; view changed below SSIM 0.50',
    ],
    [
      { eventTypes: ['storage_failure', 'hardware_failure'] },
      'events checked storage failure, hardware failure',
    ],
    [{ minFps: 6, 'minFps.identify': 12 }, 'minimum 6.0 fps; minimum for identify 12.0 fps'],
    [
      { reviewAgeDays: 120, maxReviewAgeDays: 365 },
      'annual review 120 days old; review at most 365 days old',
    ],
    [
      { chainIntact: true, chainCheckedAt: '2025-03-01T10:15:30.000Z' },
      'audit log verified yes; audit log checked 2025-03-01 10:15 UTC',
    ],
    [
      { bitrateKbps: 1026.4, shareOfCommissioned: 0.5131 },
      'measured bitrate 1026 kbit/s; share of commissioned 51.31%',
    ],
  ])('%j reads "%s"', (bag, text) => {
    expect(evidenceText(bag)).toBe(text);
  });

  it('reads keys it does not know by their unit suffix, never printing the key', () => {
    const items = describeEvidence({
      freezeActiveMinutes: 17,
      calibrationAgeDays: 120,
      stallMs: 90_000,
      sceneChangeShare: 0.25,
      frozenFrames: 3,
    });
    expect(items.map((i) => `${i.label} ${i.text}`)).toEqual([
      'freeze active 17 min',
      'calibration 120 days old',
      'stall 90 s',
      'scene change 25.00%',
      'frozen frames 3',
    ]);
    for (const i of items) expect(`${i.label} ${i.text}`).not.toMatch(/[a-z][A-Z]/);
  });

  it('is undefined for an empty bag', () => {
    expect(evidenceText({})).toBeUndefined();
  });

  it('rounds shares down and states limits in their largest whole unit', () => {
    expect(sharePercent(0.99996)).toBe('99.99%');
    expect(sharePercent(0.995)).toBe('99.50%');
    expect(sharePercent(null)).toBe('n/a');
    expect(limitDuration(7_200_000)).toBe('2 h');
    expect(limitDuration(86_400_000 * 2)).toBe('2 d');
    expect(limitDuration(1500)).toBe('1.500 s');
  });
});
