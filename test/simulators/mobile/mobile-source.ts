import { bearingDeg, destination } from '../../../src/incidents/fov-sector.ts';
import type { SourceKind, TelemetryPayload } from '../../../src/schemas/sources.ts';
import { distanceM, signTelemetry } from '../../../src/sources/telemetry.ts';

export interface Waypoint {
  lat: number;
  lon: number;
}

export interface MobileSourceOptions {
  id: string;
  kind: SourceKind;
  /** The telemetry key the hub issued for it (base64url), which it signs its fixes with. */
  key: string;
  /** The way it goes, there and back again (a drone on patrol, an officer on a beat). */
  route: readonly Waypoint[];
  speedMps: number;
  /** Drones: height above the ground and camera tilt below the horizon. */
  altitudeM?: number;
  gimbalPitchDeg?: number;
  hfovDeg?: number;
  vfovDeg?: number;
  /** When it set off (epoch ms): positions are a function of time from here. */
  startMs: number;
}

/**
 * A simulated drone or body-worn camera moving along a route at a steady speed, there and back,
 * producing signed telemetry fixes for any time: a deterministic function of time, so a test knows
 * where the source was at each fix it sent.
 */
export class MobileSource {
  private readonly legs: { from: Waypoint; to: Waypoint; lengthM: number; bearing: number }[] = [];
  private readonly lengthM: number;
  private readonly key: Uint8Array;
  private battery = 100;

  constructor(readonly options: MobileSourceOptions) {
    const r = options.route;
    if (r.length < 2) throw new Error('a route needs two waypoints at least');
    for (let i = 1; i < r.length; i++) {
      const from = r[i - 1] as Waypoint;
      const to = r[i] as Waypoint;
      this.legs.push({ from, to, lengthM: distanceM(from, to), bearing: bearingDeg(from, to) });
    }
    this.lengthM = this.legs.reduce((sum, l) => sum + l.lengthM, 0);
    this.key = Buffer.from(options.key, 'base64url');
  }

  /** Where it is at `atMs`, and which way it faces. */
  positionAt(atMs: number): { lat: number; lon: number; headingDeg: number } {
    const travelled = Math.max(0, ((atMs - this.options.startMs) / 1000) * this.options.speedMps);
    const lap = travelled % (2 * this.lengthM);
    const outward = lap <= this.lengthM;
    let along = outward ? lap : 2 * this.lengthM - lap;
    for (const leg of this.legs) {
      if (along <= leg.lengthM || leg === this.legs[this.legs.length - 1]) {
        const at = destination(leg.from, leg.bearing, Math.min(along, leg.lengthM));
        const heading = outward ? leg.bearing : (leg.bearing + 180) % 360;
        return { lat: at.lat, lon: at.lon, headingDeg: Math.round(heading * 10) / 10 };
      }
      along -= leg.lengthM;
    }
    throw new Error('unreachable');
  }

  /** The signed fix for `atMs`. */
  fix(atMs: number, overrides: Partial<Omit<TelemetryPayload, 'sig'>> = {}): TelemetryPayload {
    const p = this.positionAt(atMs);
    const drone = this.options.kind === 'drone';
    this.battery = Math.max(5, 100 - (atMs - this.options.startMs) / 60_000);
    const unsigned: Omit<TelemetryPayload, 'sig'> = {
      sourceId: this.options.id,
      at: new Date(atMs).toISOString(),
      lat: Math.round(p.lat * 1e7) / 1e7,
      lon: Math.round(p.lon * 1e7) / 1e7,
      altitudeM: drone ? (this.options.altitudeM ?? 60) : null,
      headingDeg: p.headingDeg,
      gimbalPitchDeg: drone ? (this.options.gimbalPitchDeg ?? 45) : null,
      gimbalBearingDeg: drone ? p.headingDeg : null,
      hfovDeg: drone ? (this.options.hfovDeg ?? 70) : null,
      vfovDeg: drone ? (this.options.vfovDeg ?? 45) : null,
      speedMps: this.options.speedMps,
      batteryPct: Math.round(this.battery),
      linkQualityPct: 90,
      ...overrides,
    };
    return { ...unsigned, sig: signTelemetry(unsigned, this.key) };
  }
}

/**
 * Sends a source's fixes every `intervalMs` through `publish` (a relay: a ground station or a site
 * agent's MQTT connection) until stopped.
 */
export class MobileSourceRunner {
  private timer: NodeJS.Timeout | null = null;
  sent = 0;
  failed = 0;

  constructor(
    private readonly source: MobileSource,
    private readonly publish: (fix: TelemetryPayload) => Promise<unknown>,
    private readonly intervalMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.publish(this.source.fix(this.now())).then(
        () => void this.sent++,
        () => void this.failed++,
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
