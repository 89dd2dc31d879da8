import { describe, expect, it } from 'vitest';
import type { TelemetryPayload } from '../../../src/schemas/sources.ts';
import {
  checkTelemetry,
  type RegisteredSource,
  signTelemetry,
  type TelemetryLimits,
  telemetrySignatureValid,
} from '../../../src/sources/telemetry.ts';

const key = Buffer.alloc(32, 1);
const source: RegisteredSource = {
  id: 'drone-1',
  kind: 'drone',
  name: 'Drone 1',
  unit: 'Drone unit',
  relaySiteId: 'air-ops',
  key,
  hfovDeg: 70,
  vfovDeg: 45,
  rangeM: 500,
  streamUrl: 'rtsp://127.0.0.1/drone',
};
const limits: TelemetryLimits = { area: [-8.7, 49.8, 1.8, 60.9], maxSpeedMps: { drone: 50, bodyworn: 70 } };
const at = Date.UTC(2026, 11, 5, 12, 0, 0);

function fix(
  overrides: Partial<Omit<TelemetryPayload, 'sig'>> = {},
  signingKey: Uint8Array = key,
): TelemetryPayload {
  const unsigned: Omit<TelemetryPayload, 'sig'> = {
    sourceId: 'drone-1',
    at: new Date(at).toISOString(),
    lat: 50.1186,
    lon: -5.5371,
    altitudeM: 60,
    headingDeg: 90,
    gimbalPitchDeg: 45,
    gimbalBearingDeg: 90,
    hfovDeg: null,
    vfovDeg: null,
    speedMps: 10,
    batteryPct: 80,
    linkQualityPct: 90,
    ...overrides,
  };
  return { ...unsigned, sig: signTelemetry(unsigned, signingKey) };
}

describe('mobile source telemetry checks', () => {
  it('accepts a fix signed with the source key, relayed by its site, inside the area, at a possible speed', () => {
    const last = { atMs: at - 1000, lat: 50.1186, lon: -5.5372 };
    expect(checkTelemetry(fix(), 'air-ops', source, last, limits)).toBeNull();
  });

  it('refuses a fix whose any signed field was changed after signing', () => {
    const good = fix();
    expect(telemetrySignatureValid(good, key)).toBe(true);
    for (const change of [
      { lat: 50.2 },
      { at: new Date(at + 1).toISOString() },
      { altitudeM: 61 },
      { sourceId: 'drone-2' },
    ])
      expect(telemetrySignatureValid({ ...good, ...change }, key)).toBe(false);
    expect(checkTelemetry({ ...good, lat: 50.2 }, 'air-ops', source, null, limits)?.code).toBe(
      'BAD_SIGNATURE',
    );
    expect(checkTelemetry(fix({}, Buffer.alloc(32, 2)), 'air-ops', source, null, limits)?.code).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('refuses an unknown source, and one relayed by a site other than its own', () => {
    expect(checkTelemetry(fix(), 'air-ops', undefined, null, limits)?.code).toBe('SOURCE_NOT_REGISTERED');
    expect(checkTelemetry(fix(), 'penzance', source, null, limits)).toMatchObject({
      code: 'SOURCE_NOT_OF_SITE',
      detail: { registeredRelay: 'air-ops' },
    });
  });

  it('refuses a position outside the area and a jump faster than the kind can go', () => {
    expect(checkTelemetry(fix({ lat: 48.0 }), 'air-ops', source, null, limits)?.code).toBe(
      'POSITION_OUT_OF_AREA',
    );
    // 1 km in 10 s is 100 m/s: too fast for a drone (50), and for a body-worn camera (70).
    const last = { atMs: at - 10_000, lat: 50.1186, lon: -5.5371 + 1000 / 71_400 };
    expect(checkTelemetry(fix(), 'air-ops', source, last, limits)?.code).toBe('IMPOSSIBLE_SPEED');
    // 400 m in 10 s (40 m/s) is possible; so is a late fix 400 m before a newer one.
    const near = { atMs: at - 10_000, lat: 50.1186, lon: -5.5371 + 400 / 71_400 };
    expect(checkTelemetry(fix(), 'air-ops', source, near, limits)).toBeNull();
    expect(checkTelemetry(fix(), 'air-ops', source, { ...near, atMs: at + 10_000 }, limits)).toBeNull();
  });
});
