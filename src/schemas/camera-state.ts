import { type Static, Type } from '@sinclair/typebox';

/** Camera states (DESIGN "Camera state and uptime"). `unknown` means no fresh data, never a camera fault. */
export const CameraState = Type.Union(
  [
    Type.Literal('up'),
    Type.Literal('degraded'),
    Type.Literal('down'),
    Type.Literal('unknown'),
    Type.Literal('maintenance'),
  ],
  {
    description:
      'up | degraded (reachable, out of spec) | down (unreachable/no video) | unknown | maintenance',
  },
);
export type CameraState = Static<typeof CameraState>;
export const CAMERA_STATES: readonly CameraState[] = ['up', 'degraded', 'down', 'unknown', 'maintenance'];

/** What an agent can observe; `unknown` and `maintenance` are decided by the hub. */
export const ObservedState = Type.Union([Type.Literal('up'), Type.Literal('degraded'), Type.Literal('down')]);
export type ObservedState = Static<typeof ObservedState>;

/**
 * What a health sample may say: an observed state, or `unknown` when the check was inconclusive
 * because the monitor itself was impaired (reason `monitor_impaired`). Agents before it send only
 * observed states, which stay valid.
 */
export const ReportedState = Type.Union([
  Type.Literal('up'),
  Type.Literal('degraded'),
  Type.Literal('down'),
  Type.Literal('unknown'),
]);
export type ReportedState = Static<typeof ReportedState>;

export const SiteLinkState = Type.Union([
  Type.Literal('online'),
  Type.Literal('offline'),
  Type.Literal('unknown'),
]);
export type SiteLinkState = Static<typeof SiteLinkState>;

/** Stable reason codes behind a degraded or down classification. */
export const ReasonCode = Type.Union([
  Type.Literal('unreachable'),
  Type.Literal('timeout'),
  Type.Literal('auth_failed'),
  Type.Literal('onvif_error'),
  Type.Literal('no_video'),
  Type.Literal('stream_error'),
  // A secondary media profile (sub-stream) that gives no video: degraded, the main stream still works.
  Type.Literal('sub_stream_error'),
  Type.Literal('clock_offset'),
  Type.Literal('clock_no_ntp'),
  Type.Literal('clock_timezone'),
  Type.Literal('low_fps'),
  Type.Literal('resolution_mismatch'),
  Type.Literal('codec_mismatch'),
  Type.Literal('low_bitrate'),
  Type.Literal('image_blank'),
  Type.Literal('image_dark'),
  // From the stream's video analysis (agents before it send none of these).
  Type.Literal('video_frozen'),
  Type.Literal('video_black'),
  Type.Literal('video_blurred'),
  Type.Literal('scene_changed'),
  Type.Literal('snapshot_stale'),
  Type.Literal('snapshot_mismatch'),
  Type.Literal('site_offline'),
  Type.Literal('stale'),
  Type.Literal('maintenance_window'),
  Type.Literal('monitor_impaired'),
  // At a hub that receives another hub's cameras: the link to that hub is down, so their state is not known.
  Type.Literal('hub_link_down'),
]);
export type ReasonCode = Static<typeof ReasonCode>;

export const Reason = Type.Object(
  {
    code: ReasonCode,
    message: Type.String({ maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type Reason = Static<typeof Reason>;
