import { describe, expect, it } from 'vitest';
import { pixelDensityPxPerM, requiredPxPerM, sceneWidthM } from '../../../src/compliance/pixel-density.ts';

// Expected values worked out by hand: scene width = 2 d tan(hfov / 2); px/m = width / scene width.
describe('sceneWidthM', () => {
  it.each([
    // hfov, distance, scene width
    [90, 10, 20], // tan 45 = 1
    [60, 10, 11.547005], // 2 * 10 * tan 30 = 20 / sqrt 3
    [120, 5, 17.320508], // 2 * 5 * tan 60 = 10 sqrt 3
    [53.130102, 8, 8], // tan(26.565051) = 0.5
  ])('%f degrees at %f m is %f m wide', (hfovDeg, distanceM, want) => {
    expect(sceneWidthM(hfovDeg, distanceM)).toBeCloseTo(want, 5);
  });

  it.each([
    [180, 10],
    [200, 10],
    [0, 10],
    [90, 0],
    [90, -1],
  ])('has no flat width at %f degrees and %f m', (hfovDeg, distanceM) => {
    expect(sceneWidthM(hfovDeg, distanceM)).toBeNull();
  });
});

describe('pixelDensityPxPerM', () => {
  it.each([
    [1920, 90, 10, 96], // 1920 / 20
    [3840, 90, 10, 192],
    [1280, 60, 10, 110.851252], // 1280 / 11.547005
    [2560, 53.130102, 8, 320], // 2560 / 8
    [704, 90, 2, 176], // 704 / 4
  ])('%i px at %f degrees and %f m gives %f px/m', (widthPx, hfovDeg, distanceM, want) => {
    expect(pixelDensityPxPerM(widthPx, hfovDeg, distanceM)).toBeCloseTo(want, 4);
  });

  it('is null without pixels or without a flat scene', () => {
    expect(pixelDensityPxPerM(0, 90, 10)).toBeNull();
    expect(pixelDensityPxPerM(1920, 180, 10)).toBeNull();
  });

  it('1920 px, 90 degrees, 10 m meets observe (62.5) and misses recognise (125) in the 2015 table', () => {
    const density = pixelDensityPxPerM(1920, 90, 10) as number;
    expect(density).toBeGreaterThanOrEqual(requiredPxPerM('bs-en-62676-4-2015', 'observe'));
    expect(density).toBeLessThan(requiredPxPerM('bs-en-62676-4-2015', 'recognise'));
  });
});

describe('requiredPxPerM', () => {
  it.each([
    ['bs-en-62676-4-2015', 'identify', 250],
    ['bs-en-62676-4-2015', 'recognise', 125],
    ['bs-en-62676-4-2015', 'observe', 62.5],
    ['bs-en-62676-4-2015', 'detect', 25],
    ['bs-en-62676-4-2015', 'monitor', 12.5],
    ['iec-62676-4-2025', 'identify', 500],
    ['iec-62676-4-2025', 'recognise', 250],
    ['iec-62676-4-2025', 'observe', 80],
    ['iec-62676-4-2025', 'detect', 40],
    ['iec-62676-4-2025', 'monitor', 20],
  ] as const)('%s %s needs %f px/m', (table, purpose, want) => {
    expect(requiredPxPerM(table, purpose)).toBe(want);
  });
});
