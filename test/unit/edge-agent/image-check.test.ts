import { describe, expect, it } from 'vitest';
import { lumaStats, toImageCheck } from '../../../edge-agent/src/image/image-check.ts';

const thresholds = { blankLumaStdDev: 4, darkMeanLuma: 20 };

describe('lumaStats', () => {
  it.each([
    { name: 'empty', pixels: [], mean: 0, sd: 0 },
    { name: 'uniform grey', pixels: [128, 128, 128, 128], mean: 128, sd: 0 },
    { name: 'black and white', pixels: [0, 255, 0, 255], mean: 127.5, sd: 127.5 },
    { name: 'small spread', pixels: [10, 12, 14, 16], mean: 13, sd: Math.sqrt(5) },
  ])('$name', ({ pixels, mean, sd }) => {
    const stats = lumaStats(Uint8Array.from(pixels));
    expect(stats.meanLuma).toBeCloseTo(mean, 6);
    expect(stats.lumaStdDev).toBeCloseTo(sd, 6);
  });

  it('handles a full 160x90 frame', () => {
    const frame = new Uint8Array(160 * 90).map((_, i) => i % 256);
    const stats = lumaStats(frame);
    expect(stats.meanLuma).toBeGreaterThan(120);
    expect(stats.lumaStdDev).toBeGreaterThan(70);
  });
});

describe('toImageCheck', () => {
  it.each([
    { name: 'normal scene', mean: 110, sd: 40, blank: false, dark: false },
    { name: 'black frame', mean: 16, sd: 0.2, blank: true, dark: true },
    { name: 'grey card (covered lens)', mean: 128, sd: 1.5, blank: true, dark: false },
    { name: 'night scene with detail', mean: 12, sd: 9, blank: false, dark: true },
    { name: 'exactly at thresholds is fine', mean: 20, sd: 4, blank: false, dark: false },
  ])('$name', ({ mean, sd, blank, dark }) => {
    expect(toImageCheck({ meanLuma: mean, lumaStdDev: sd }, thresholds)).toMatchObject({ blank, dark });
  });
});
