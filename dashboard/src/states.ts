import type { CameraView } from '../../src/schemas/api.ts';
import type { CameraState, SiteLinkState } from '../../src/schemas/camera-state.ts';

type CameraApproval = CameraView['approval'];

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

/**
 * A camera's standing in the registry, as text (never colour alone). Only approved cameras count in a
 * council's reports; the others are still monitored.
 */
export const APPROVAL_LABEL: Record<CameraApproval, string> = {
  pending: 'Pending approval',
  approved: 'Approved',
  rejected: 'Rejected',
  retired: 'Retired',
};

/** For tight places (a table cell), with the whole label beside it for assistive technology. */
export const APPROVAL_SHORT: Record<CameraApproval, string> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
  retired: 'Retired',
};

export const APPROVAL_EFFECT: Record<CameraApproval, string> = {
  pending: "Monitored, but counted in no council's reports until a hub operator approves it.",
  approved: "Counts in its council's reports and compliance.",
  rejected: "Monitored, but never counted in a council's reports.",
  retired: "Counts in no council's reports from its retirement on.",
};
