// Turns ONVIF events read from a camera or a recorder into the camera events the hub already stores and
// evaluates (the `storage` and `image` rules read active storage_failure and tamper events). A recorder's
// storage failure puts every camera recorded on it at risk, so it is reported for each of them; a tamper
// event names its video source, which the agent config maps to one camera.
import type { CameraEventPayload } from '../../../src/schemas/payloads.ts';
import type { RecorderEvent } from '../onvif/pull-point.ts';

export interface RecorderCameras {
  /** Every camera recorded on this device (for a camera that records itself, just that camera). */
  cameraIds: string[];
  /** Video source or channel token on the device -> camera id. */
  cameraBySourceToken: Record<string, string>;
}

const SOURCE_KEYS = ['VideoSourceConfigurationToken', 'VideoSourceToken', 'Source'];

function cameraForSource(event: RecorderEvent, cameras: RecorderCameras): string | undefined {
  for (const key of SOURCE_KEYS) {
    const token = event.source[key];
    if (token !== undefined && Object.hasOwn(cameras.cameraBySourceToken, token)) {
      return cameras.cameraBySourceToken[token];
    }
  }
  // A camera's own event needs no mapping: it has one source.
  return cameras.cameraIds.length === 1 ? cameras.cameraIds[0] : undefined;
}

function detailOf(event: RecorderEvent): string {
  const items = Object.entries({ ...event.source, ...event.data })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return items.slice(0, 1000);
}

export function toCameraEvents(event: RecorderEvent, cameras: RecorderCameras): CameraEventPayload[] {
  // Topics without a state (or unrelated ones) are not evidence of a fault starting or ending.
  if (event.kind === 'other' || event.active === undefined) return [];
  const source = event.topic.slice(0, 200);
  const detail = detailOf(event);
  const base = { type: event.kind, active: event.active, source, ...(detail ? { detail } : {}) };
  if (event.kind === 'storage_failure') return cameras.cameraIds.map((cameraId) => ({ cameraId, ...base }));
  const cameraId = cameraForSource(event, cameras);
  return cameraId === undefined ? [] : [{ cameraId, ...base }];
}
