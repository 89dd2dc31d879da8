import { describe, expect, it } from 'vitest';
import { rankWithSources, type SourceCandidate } from '../../../src/incidents/ranking.ts';
import type { IncidentCamera } from '../../../src/schemas/incident-api.ts';

const camera = (
  id: string,
  covers: boolean,
  state: IncidentCamera['state'],
  distanceM: number,
  rank: number,
): IncidentCamera => ({
  rank,
  cameraId: id,
  name: id,
  siteId: 's',
  councilId: 'c',
  state,
  location: { type: 'Point', coordinates: [0, 0] },
  bearingDeg: 0,
  hfovDeg: 60,
  rangeM: 50,
  distanceM,
  covers,
  coverage: null,
  offAxisDeg: 0,
  pixelDensityPxPerM: null,
});
const source = (id: string, coversNow: boolean, distanceM: number, closestM: number): SourceCandidate => ({
  sourceId: id,
  kind: 'drone',
  name: id,
  unit: 'u',
  state: coversNow ? 'up' : 'offline',
  location: null,
  distanceM,
  coversNow,
  coveredFrom: null,
  coveredTo: null,
  closestM,
  streamOk: null,
});

describe('ranking mobile sources with cameras', () => {
  it('puts a source covering the target now among the covering cameras, and past passes after every camera', () => {
    const cams = [
      camera('c-near', true, 'up', 10, 1),
      camera('c-far', true, 'up', 80, 2),
      camera('c-off', false, 'up', 30, 3),
    ];
    const result = rankWithSources(cams, [source('passed', false, 900, 5), source('overhead', true, 40, 0)]);
    const order = [
      ...result.cameras.map((c) => [c.rank, c.cameraId]),
      ...result.sources.map((s) => [s.rank, s.sourceId]),
    ].sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(order.map((x) => x[1])).toEqual(['c-near', 'overhead', 'c-far', 'c-off', 'passed']);
    expect(order.map((x) => x[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves the cameras as they were when no source is found', () => {
    const cams = [camera('a', true, 'up', 10, 1), camera('b', false, 'down', 5, 2)];
    expect(rankWithSources(cams, [])).toEqual({ cameras: cams, sources: [] });
  });
});
