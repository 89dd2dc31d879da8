import { describe, expect, it } from 'vitest';
import { type Candidate, offAxisDeg, rankCameras } from '../../../src/incidents/ranking.ts';

const base: Candidate = {
  cameraId: 'x',
  name: 'x',
  siteId: 's',
  councilId: 'c',
  state: 'up',
  location: { type: 'Point', coordinates: [0, 0] },
  bearingDeg: 0,
  hfovDeg: 60,
  rangeM: 100,
  distanceM: 50,
  covers: false,
  coverage: null,
  azimuthDeg: 0,
  streamWidthPx: null,
};
const cam = (over: Partial<Candidate>): Candidate => ({ ...base, ...over });

describe('incident ranking', () => {
  it('measures the angle off the camera axis both ways round the compass', () => {
    expect(offAxisDeg(0, 0)).toBe(0);
    expect(offAxisDeg(350, 10)).toBe(20);
    expect(offAxisDeg(10, 350)).toBe(20);
    expect(offAxisDeg(90, 270)).toBe(180);
    expect(offAxisDeg(0, 90)).toBe(90);
    expect(offAxisDeg(45, null)).toBe(0);
  });

  it('puts covering cameras first, then working ones, then the nearest, then the sharpest', () => {
    const ranked = rankCameras(
      [
        cam({ cameraId: 'behind-near', distanceM: 10 }),
        cam({ cameraId: 'covers-down', covers: true, state: 'down', distanceM: 5 }),
        cam({ cameraId: 'covers-far', covers: true, distanceM: 90 }),
        cam({ cameraId: 'covers-near', covers: true, distanceM: 40 }),
        cam({ cameraId: 'covers-near-sharp', covers: true, distanceM: 40, streamWidthPx: 3840 }),
        cam({ cameraId: 'covers-degraded', covers: true, state: 'degraded', distanceM: 1 }),
      ],
      10,
    );
    expect(ranked.map((c) => c.cameraId)).toEqual([
      'covers-near-sharp',
      'covers-near',
      'covers-far',
      'covers-degraded',
      'covers-down',
      'behind-near',
    ]);
    expect(ranked.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    // 3840 px over 2 x 40 m x tan(30 deg) = 46.19 m of scene.
    expect(ranked[0]?.pixelDensityPxPerM).toBeCloseTo(3840 / (80 * Math.tan(Math.PI / 6)), 6);
    expect(ranked[1]?.pixelDensityPxPerM).toBeNull();
  });

  it('orders polygon matches by the share of the polygon they see, and cuts at the limit', () => {
    const ranked = rankCameras(
      [
        cam({ cameraId: 'a', covers: true, coverage: 0.2 }),
        cam({ cameraId: 'b', covers: true, coverage: 0.7 }),
        cam({ cameraId: 'c', covers: true, coverage: 0.7, distanceM: 20 }),
      ],
      2,
    );
    expect(ranked.map((c) => c.cameraId)).toEqual(['c', 'b']);
  });
});
