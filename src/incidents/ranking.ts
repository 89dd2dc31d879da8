import { pixelDensityPxPerM } from '../compliance/pixel-density.ts';
import type { CameraState } from '../schemas/camera-state.ts';
import type { IncidentCamera } from '../schemas/incident-api.ts';

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
