import { pixelDensityPxPerM } from '../compliance/pixel-density.ts';
import type { CameraState } from '../schemas/camera-state.ts';
import type { IncidentCamera } from '../schemas/incident-api.ts';
import type { IncidentSource } from '../schemas/sources.ts';

/** Working cameras first; a camera in maintenance may still show something; down shows nothing. */
const STATE_RANK: Record<CameraState, number> = { up: 0, degraded: 1, maintenance: 2, unknown: 3, down: 4 };

/** Angle between a camera's bearing and the direction to the target, 0..180 degrees. */
export function offAxisDeg(bearingDeg: number, azimuthDeg: number | null): number {
  if (azimuthDeg === null) return 0;
  return Math.abs(((((azimuthDeg - bearingDeg + 540) % 360) + 360) % 360) - 180);
}

export type Candidate = Omit<IncidentCamera, 'rank' | 'offAxisDeg' | 'pixelDensityPxPerM'> & {
  azimuthDeg: number | null;
  streamWidthPx: number | null;
};

/**
 * Orders the cameras found around an incident: those whose field of view covers the target first
 * (for a polygon, the larger share first), then by state (working first), then nearest, then the
 * most pixels per metre at the target. Ties fall back to the camera id so the order is stable.
 */
export function rankCameras(candidates: readonly Candidate[], limit: number): IncidentCamera[] {
  const scored = candidates.map((c) => {
    const { azimuthDeg, streamWidthPx, ...rest } = c;
    return {
      ...rest,
      offAxisDeg: offAxisDeg(c.bearingDeg, azimuthDeg),
      pixelDensityPxPerM:
        streamWidthPx === null
          ? null
          : pixelDensityPxPerM(streamWidthPx, c.hfovDeg, Math.max(1, c.distanceM)),
    };
  });
  scored.sort(
    (a, b) =>
      Number(b.covers) - Number(a.covers) ||
      (b.coverage ?? 0) - (a.coverage ?? 0) ||
      STATE_RANK[a.state] - STATE_RANK[b.state] ||
      a.distanceM - b.distanceM ||
      (b.pixelDensityPxPerM ?? -1) - (a.pixelDensityPxPerM ?? -1) ||
      (a.cameraId < b.cameraId ? -1 : a.cameraId > b.cameraId ? 1 : 0),
  );
  return scored.slice(0, limit).map((c, i) => ({ rank: i + 1, ...c }));
}

/** A mobile source found around an incident (see IncidentSource), before ranking. */
export type SourceCandidate = Omit<IncidentSource, 'rank'>;

const SOURCE_STATE_RANK: Record<SourceCandidate['state'], number> = { up: 0, unknown: 3, offline: 4 };

/**
 * Places mobile sources among the ranked cameras, numbering both in one order: a source whose footprint
 * or position covers the target now ranks with the cameras that cover it (working first, then
 * nearest); one that only passed the target earlier ranks after every camera, nearest pass first. The
 * cameras keep their order among themselves.
 */
export function rankWithSources(
  cameras: readonly IncidentCamera[],
  sources: readonly SourceCandidate[],
): { cameras: IncidentCamera[]; sources: IncidentSource[] } {
  const now = sources
    .filter((s) => s.coversNow)
    .sort(
      (a, b) =>
        SOURCE_STATE_RANK[a.state] - SOURCE_STATE_RANK[b.state] ||
        (a.distanceM ?? Number.POSITIVE_INFINITY) - (b.distanceM ?? Number.POSITIVE_INFINITY) ||
        (a.sourceId < b.sourceId ? -1 : 1),
    );
  const passed = sources
    .filter((s) => !s.coversNow)
    .sort(
      (a, b) =>
        (a.closestM ?? Number.POSITIVE_INFINITY) - (b.closestM ?? Number.POSITIVE_INFINITY) ||
        (a.sourceId < b.sourceId ? -1 : 1),
    );
  // A source covering now goes before the first camera that does not cover the target, or that is in
  // a worse state, or further away.
  const before = (s: SourceCandidate, c: IncidentCamera) =>
    !c.covers ||
    SOURCE_STATE_RANK[s.state] < STATE_RANK[c.state] ||
    (SOURCE_STATE_RANK[s.state] === STATE_RANK[c.state] &&
      (s.distanceM ?? Number.POSITIVE_INFINITY) < c.distanceM);
  const merged: ({ camera: IncidentCamera } | { source: SourceCandidate })[] = [];
  let i = 0;
  for (const camera of cameras) {
    while (i < now.length && before(now[i] as SourceCandidate, camera))
      merged.push({ source: now[i++] as SourceCandidate });
    merged.push({ camera });
  }
  while (i < now.length) merged.push({ source: now[i++] as SourceCandidate });
  for (const source of passed) merged.push({ source });
  const outCameras: IncidentCamera[] = [];
  const outSources: IncidentSource[] = [];
  merged.forEach((item, n) => {
    if ('camera' in item) outCameras.push({ ...item.camera, rank: n + 1 });
    else outSources.push({ rank: n + 1, ...item.source });
  });
  return { cameras: outCameras, sources: outSources };
}
