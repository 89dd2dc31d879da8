import { describe, expect, it } from 'vitest';
import {
  bearingDeg,
  destination,
  distanceM,
  fovSectorRing,
  normaliseBearingDeg,
} from '../../../src/incidents/fov-sector.ts';

// Fixtures: `ST_AsGeoJSON(cctv_fov(...), 7)` from the camera-geometry migration, captured on PostGIS
// 3.3.2 (the spheroid). The browser's preview must draw the same shape, vertex for vertex.
const PENZANCE = { lat: 50.1186, lon: -5.5371 };
const POSTGIS: { bearing: number; hfov: number; rangeM: number; ring: [number, number][] }[] = [
  {
    bearing: 0,
    hfov: 60,
    rangeM: 100,
    ring: [
      [-5.5371, 50.1186],
      [-5.5377991, 50.1193786],
      [-5.5376909, 50.1194148],
      [-5.5375782, 50.1194448],
      [-5.5374619, 50.1194684],
      [-5.5373428, 50.1194854],
      [-5.5372219, 50.1194956],
      [-5.5371, 50.119499],
      [-5.5369781, 50.1194956],
      [-5.5368572, 50.1194854],
      [-5.5367381, 50.1194684],
      [-5.5366218, 50.1194448],
      [-5.5365091, 50.1194148],
      [-5.5364009, 50.1193786],
      [-5.5371, 50.1186],
    ],
  },
  {
    // Narrow and long, across north: the arc keeps its minimum of two steps.
    bearing: 350,
    hfov: 7,
    rangeM: 1500,
    ring: [
      [-5.5371, 50.1186],
      [-5.5419975, 50.1317127],
      [-5.540743, 50.1318805],
      [-5.5394749, 50.1319987],
      [-5.5371, 50.1186],
    ],
  },
];

describe('fovSectorRing', () => {
  it.each(POSTGIS)('matches PostGIS for bearing $bearing, hfov $hfov, range $rangeM m', (c) => {
    const ring = fovSectorRing(PENZANCE, c.bearing, c.hfov, c.rangeM);
    expect(ring).toHaveLength(c.ring.length);
    for (const [i, [lon, lat]] of ring.entries()) {
      const [pgLon, pgLat] = c.ring[i]!;
      // Sphere against spheroid: within 0.5% of the range.
      expect(distanceM({ lat, lon }, { lat: pgLat, lon: pgLon })).toBeLessThan(c.rangeM * 0.005);
    }
  });

  it('draws a disc for a camera that sees all round', () => {
    const ring = fovSectorRing(PENZANCE, 120, 360, 50);
    // As ST_Buffer with quad_segs=16: 64 vertices and the closing one.
    expect(ring).toHaveLength(65);
    expect(ring[64]).toEqual(ring[0]);
    for (const [lon, lat] of ring) expect(distanceM(PENZANCE, { lat, lon })).toBeCloseTo(50, 6);
  });
});

describe('great-circle helpers', () => {
  it.each([
    [0, 100],
    [90, 250],
    [225, 1999],
    [359, 1],
  ])('goes out along %d° for %d m and comes back to the same bearing and distance', (bearing, metres) => {
    const far = destination(PENZANCE, bearing, metres);
    expect(distanceM(PENZANCE, far)).toBeCloseTo(metres, 6);
    // Angles compare round the circle: 359.9999999 is 0.
    const back = bearingDeg(PENZANCE, far);
    expect(Math.abs(((back - bearing + 540) % 360) - 180)).toBeLessThan(1e-6);
  });

  it.each([
    [360, 0],
    [-10, 350],
    [725, 5],
  ])('normalises bearing %d to %d', (raw, expected) => {
    expect(normaliseBearingDeg(raw)).toBe(expected);
  });
});
