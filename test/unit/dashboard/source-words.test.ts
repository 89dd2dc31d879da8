import { describe, expect, it } from 'vitest';
import { describeSource } from '../../../dashboard/src/source-words.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';

const drone: SourceView = {
  id: 'd-1',
  kind: 'drone',
  name: 'Drone 1',
  unit: 'Drone unit',
  relaySiteId: 'air-ops',
  state: 'up',
  stateSince: '2026-12-06T10:00:00.000Z',
  lastFixAt: '2026-12-06T10:00:00.000Z',
  location: { type: 'Point', coordinates: [-5.5, 50.1] },
  altitudeM: 79.6,
  headingDeg: 90,
  speedMps: 10,
  batteryPct: null,
  linkQualityPct: null,
  footprint: null,
  track: [],
  onDuty: true,
  stream: {
    checkedAt: '2026-12-06T10:00:00.000Z',
    ok: true,
    codec: 'h264',
    width: 1280,
    height: 720,
    fps: 25,
    bitrateKbps: 2000,
    errorCode: null,
    error: null,
  },
};

describe('mobile sources in words', () => {
  it('names the source, its unit, link, height and stream', () => {
    expect(describeSource(drone)).toBe(
      'Drone 1, drone of Drone unit: live, 80 m up; video h264 1280×720 25 fps',
    );
  });

  it('says which hub shares a source of another force, and when its telemetry is late', () => {
    expect(
      describeSource({ ...drone, hubId: 'devon-cornwall', state: 'unknown', altitudeM: null, stream: null }),
    ).toBe('Drone 1, drone of Drone unit (shared by hub devon-cornwall): telemetry late');
  });
});
