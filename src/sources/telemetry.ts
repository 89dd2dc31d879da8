import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SourceKind, TelemetryPayload } from '../schemas/sources.ts';

/**
 * The text a source signs: the fix's fields in a fixed order, as JSON (absent values as null). The
 * signature binds the source id and the fix time, so a relay can neither alter a fix, move it in
 * time, nor pass one source's fix off as another's.
 */
export function telemetrySigningText(p: Omit<TelemetryPayload, 'sig'>): string {
  return JSON.stringify([
    'cctv-telemetry-v1',
    p.sourceId,
    p.at,
    p.lat,
    p.lon,
    p.altitudeM,
    p.headingDeg,
    p.gimbalPitchDeg,
    p.gimbalBearingDeg,
    p.hfovDeg,
    p.vfovDeg,
    p.speedMps,
    p.batteryPct,
    p.linkQualityPct,
  ]);
}

/** The signature a source puts on a fix: base64url HMAC-SHA256 of its signing text. */
export function signTelemetry(p: Omit<TelemetryPayload, 'sig'>, key: Uint8Array): string {
  return createHmac('sha256', key).update(telemetrySigningText(p)).digest('base64url');
}

export function telemetrySignatureValid(p: TelemetryPayload, key: Uint8Array): boolean {
  const want = createHmac('sha256', key).update(telemetrySigningText(p)).digest();
  const got = Buffer.from(p.sig, 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** What the hub's registry holds of a source, for checking its telemetry. */
export interface RegisteredSource {
  id: string;
  kind: SourceKind;
  name: string;
  unit: string;
  relaySiteId: string;
  key: Uint8Array;
  hfovDeg: number;
  vfovDeg: number;
  rangeM: number;
  streamUrl: string;
}

export interface Fix {
  atMs: number;
  lat: number;
  lon: number;
}

export interface TelemetryLimits {
  /** [west, south, east, north]: where this hub's sources may be (sources.area). */
  area: readonly [number, number, number, number];
  /** Fastest a source of each kind can move, m/s: a faster jump between fixes is refused. */
  maxSpeedMps: Record<SourceKind, number>;
}

export interface TelemetryRefusal {
  code:
    | 'SOURCE_NOT_REGISTERED'
    | 'SOURCE_NOT_OF_SITE'
    | 'BAD_SIGNATURE'
    | 'POSITION_OUT_OF_AREA'
    | 'IMPOSSIBLE_SPEED';
  path: string;
  message: string;
  detail?: Record<string, string | number>;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres (haversine on the mean Earth radius). */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Two fixes closer in time than this are judged as if this far apart (clock resolution). */
const MIN_INTERVAL_MS = 100;

/**
 * Whether a fix relayed by `siteId` may be stored: the source is registered and relayed by that site,
 * the fix carries its own signature, lies inside the hub's area, and is not further from the
 * source's nearest fix in time than its kind can travel. Pure: the registry and the last fix come in.
 */
export function checkTelemetry(
  payload: TelemetryPayload,
  siteId: string,
  source: RegisteredSource | undefined,
  last: Fix | null,
  limits: TelemetryLimits,
): TelemetryRefusal | null {
  if (!source)
    return {
      code: 'SOURCE_NOT_REGISTERED',
      path: '/payload/sourceId',
      message: `source ${payload.sourceId} is not registered at this hub: an operator registers it first`,
    };
  if (source.relaySiteId !== siteId)
    return {
      code: 'SOURCE_NOT_OF_SITE',
      path: '/payload/sourceId',
      message: `source ${source.id} is relayed by site ${source.relaySiteId}, not by ${siteId}`,
      detail: { sourceId: source.id, registeredRelay: source.relaySiteId },
    };
  if (!telemetrySignatureValid(payload, source.key))
    return {
      code: 'BAD_SIGNATURE',
      path: '/payload/sig',
      message: `the fix is not signed with source ${source.id}'s telemetry key (altered in transit, or made up)`,
      detail: { sourceId: source.id },
    };
  const [west, south, east, north] = limits.area;
  if (payload.lon < west || payload.lon > east || payload.lat < south || payload.lat > north)
    return {
      code: 'POSITION_OUT_OF_AREA',
      path: '/payload/lat',
      message: `position ${payload.lat.toFixed(5)}, ${payload.lon.toFixed(5)} is outside this hub's area`,
      detail: { sourceId: source.id, lat: payload.lat, lon: payload.lon },
    };
  if (last) {
    const atMs = Date.parse(payload.at);
    const metres = distanceM(last, payload);
    const seconds = Math.max(MIN_INTERVAL_MS, Math.abs(atMs - last.atMs)) / 1000;
    const speed = metres / seconds;
    const max = limits.maxSpeedMps[source.kind];
    if (speed > max)
      return {
        code: 'IMPOSSIBLE_SPEED',
        path: '/payload/lat',
        message: `${Math.round(metres)} m from the fix of ${new Date(last.atMs).toISOString()} in ${seconds.toFixed(1)} s (${Math.round(speed)} m/s; a ${source.kind} goes at most ${max} m/s)`,
        detail: { sourceId: source.id, metres: Math.round(metres), seconds: Number(seconds.toFixed(1)) },
      };
  }
  return null;
}
