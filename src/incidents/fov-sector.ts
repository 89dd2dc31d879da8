// Field-of-view sectors on a sphere, for drawing a camera's cone before the hub has stored it (the
// geometry editor's preview). The hub's polygon comes from `cctv_fov` in the camera-geometry
// migration, on the WGS84 spheroid; this one uses the mean Earth radius, which puts each vertex
// within about 0.5% of the range of the hub's: the same shape on any map.

export interface LatLonDeg {
  lat: number;
  lon: number;
}

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8;
/** `cctv_fov` places an arc vertex at least every 5 degrees of the field of view. */
const ARC_STEP_DEG = 5;
/** Vertices of the disc drawn for a 360-degree camera (ST_Buffer with quad_segs=16). */
const DISC_VERTICES = 64;

const rad = (deg: number) => (deg * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** Bearing in [0, 360). */
export function normaliseBearingDeg(bearingDeg: number): number {
  return ((bearingDeg % 360) + 360) % 360;
}

/** The point `distanceM` from `from` along the initial bearing `bearingDeg` (great circle). */
export function destination(from: LatLonDeg, bearingDeg: number, distanceM: number): LatLonDeg {
  const delta = distanceM / EARTH_RADIUS_M;
  const theta = rad(bearingDeg);
  const phi1 = rad(from.lat);
  const lambda1 = rad(from.lon);
  const sinPhi2 = Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta);
  const phi2 = Math.asin(sinPhi2);
  const lambda2 =
    lambda1 +
    Math.atan2(
      Math.sin(theta) * Math.sin(delta) * Math.cos(phi1),
      Math.cos(delta) - Math.sin(phi1) * sinPhi2,
    );
  return { lat: deg(phi2), lon: ((deg(lambda2) + 540) % 360) - 180 };
}

/** Initial great-circle bearing from `from` to `to`, in [0, 360). */
export function bearingDeg(from: LatLonDeg, to: LatLonDeg): number {
  const phi1 = rad(from.lat);
  const phi2 = rad(to.lat);
  const dLambda = rad(to.lon - from.lon);
  const y = Math.sin(dLambda) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
  return normaliseBearingDeg(deg(Math.atan2(y, x)));
}

/** Great-circle (haversine) distance in metres. */
export function distanceM(from: LatLonDeg, to: LatLonDeg): number {
  const dPhi = rad(to.lat - from.lat);
  const dLambda = rad(to.lon - from.lon);
  const a =
    Math.sin(dPhi / 2) ** 2 + Math.cos(rad(from.lat)) * Math.cos(rad(to.lat)) * Math.sin(dLambda / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * The field of view as a closed GeoJSON ring of `[lon, lat]`, vertex for vertex as `cctv_fov` builds
 * it: the apex, then the arc from `bearing - hfov/2` to `bearing + hfov/2` in `max(2, ceil(hfov/5))`
 * equal steps, then the apex again. A camera seeing 360 degrees or more covers a disc.
 */
export function fovSectorRing(
  location: LatLonDeg,
  bearing: number,
  hfovDeg: number,
  rangeM: number,
): [number, number][] {
  const at = (p: LatLonDeg): [number, number] => [p.lon, p.lat];
  if (hfovDeg >= 360) {
    const ring = Array.from({ length: DISC_VERTICES }, (_, i) =>
      at(destination(location, (360 * i) / DISC_VERTICES, rangeM)),
    );
    ring.push(ring[0]!);
    return ring;
  }
  const steps = Math.max(2, Math.ceil(hfovDeg / ARC_STEP_DEG));
  const ring: [number, number][] = [at(location)];
  for (let i = 0; i <= steps; i++)
    ring.push(at(destination(location, bearing - hfovDeg / 2 + (hfovDeg * i) / steps, rangeM)));
  ring.push(at(location));
  return ring;
}
