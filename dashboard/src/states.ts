import type { CameraState, SiteLinkState } from '../../src/schemas/camera-state.ts';

interface StatePresentation {
  label: string;
  /** Marker fill on the map; badges and chips take their colours from styles.css by `data-state`. */
  markerColour: string;
  /** Sort rank: most urgent first. */
  rank: number;
}

// A Record over the schema's union makes the compiler insist on every state.
export const CAMERA_STATE_STYLE: Record<CameraState, StatePresentation> = {
  down: { label: 'Down', markerColour: '#e53935', rank: 0 },
  degraded: { label: 'Degraded', markerColour: '#f9a825', rank: 1 },
  unknown: { label: 'Unknown', markerColour: '#9aa0a6', rank: 2 },
  maintenance: { label: 'Maintenance', markerColour: '#1e88e5', rank: 3 },
  up: { label: 'Up', markerColour: '#2e9d48', rank: 4 },
};

/** Display order of summary chips and the legend. */
export const CAMERA_STATE_ORDER: readonly CameraState[] = [
  'up',
  'degraded',
  'down',
  'unknown',
  'maintenance',
];

export const SITE_LINK_LABEL: Record<SiteLinkState, string> = {
  online: 'Online',
  offline: 'Offline',
  unknown: 'Unknown',
};

export function isCameraState(value: string): value is CameraState {
  return Object.hasOwn(CAMERA_STATE_STYLE, value);
}
