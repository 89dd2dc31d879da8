import { describe, expect, it } from 'vitest';
import { SourceTracker } from '../../../hub-server/src/sources/source-tracker.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';
import type { RegisteredSource } from '../../../src/sources/telemetry.ts';

const source: RegisteredSource = {
  id: 'bwv-1',
  kind: 'bodyworn',
  name: 'PC 1',
  unit: 'Team',
  relaySiteId: 'town',
  key: new Uint8Array(32),
  hfovDeg: 90,
  vfovDeg: 60,
  rangeM: 15,
  streamUrl: 'rtsp://127.0.0.1/bwv',
};
const fix = (atMs: number, lon = -5.5) => ({
  sourceId: 'bwv-1',
  atMs,
  lat: 50.1,
  lon,
  altitudeM: null,
  headingDeg: 90,
  speedMps: 1.4,
  batteryPct: 90,
  linkQualityPct: 80,
  footprint: null,
});

describe('source tracker', () => {
  it('turns a source up with a fix, unknown when late, offline when silent, and pushes each change', () => {
    let now = 1_000_000;
    const pushed: SourceView[] = [];
    const tracker = new SourceTracker({
      staleAfterMs: 5000,
      offlineAfterMs: 30_000,
      trackMinutes: 1,
      now: () => now,
      changed: (views) => pushed.push(...views),
      removed: () => {},
    });
    tracker.load([source], [], new Map(), []);
    expect(tracker.get('bwv-1')?.state).toBe('offline');
    tracker.apply([{ ...fix(now), points: [[-5.5, 50.1, now]] }]);
    expect(tracker.get('bwv-1')).toMatchObject({ state: 'up', location: { coordinates: [-5.5, 50.1] } });
    now += 6000;
    tracker.tick();
    expect(tracker.get('bwv-1')?.state).toBe('unknown');
    expect(tracker.get('bwv-1')?.stateSince).toBe(new Date(now - 1000).toISOString());
    now += 30_000;
    tracker.tick();
    expect(tracker.get('bwv-1')?.state).toBe('offline');
    expect(pushed.map((v) => v.state)).toEqual(['up', 'unknown', 'offline']);
    // A tick with nothing new pushes nothing.
    tracker.tick();
    expect(pushed).toHaveLength(3);
  });

  it('keeps the newest fix as the position when an older one arrives late, and trims the track by time', () => {
    let now = 5_000_000;
    const tracker = new SourceTracker({
      staleAfterMs: 5000,
      offlineAfterMs: 30_000,
      trackMinutes: 1,
      now: () => now,
      changed: () => {},
      removed: () => {},
    });
    tracker.load([source], [], new Map(), []);
    tracker.apply([fix(now, -5.4)]);
    tracker.apply([fix(now - 2000, -5.6)]);
    expect(tracker.get('bwv-1')?.location?.coordinates[0]).toBe(-5.4);
    expect(tracker.get('bwv-1')?.track.map((p) => p[0])).toEqual([-5.6, -5.4]);
    now += 61_000;
    tracker.apply([fix(now, -5.3)]);
    expect(tracker.get('bwv-1')?.track.map((p) => p[0])).toEqual([-5.3]);
  });

  it('is on duty inside a declared window only', () => {
    let now = Date.parse('2026-12-05T20:00:00Z');
    const tracker = new SourceTracker({
      staleAfterMs: 5000,
      offlineAfterMs: 30_000,
      trackMinutes: 1,
      now: () => now,
      changed: () => {},
      removed: () => {},
    });
    tracker.load([source], [], new Map(), [
      {
        id: '1',
        sourceId: 'bwv-1',
        startsAt: '2026-12-05T21:00:00.000Z',
        endsAt: '2026-12-06T05:00:00.000Z',
        reason: 'Night shift',
        createdBy: 'room',
      },
    ]);
    expect(tracker.get('bwv-1')?.onDuty).toBe(false);
    now = Date.parse('2026-12-05T22:00:00Z');
    tracker.tick();
    expect(tracker.get('bwv-1')?.onDuty).toBe(true);
  });
});
