import { type Static, Type } from '@sinclair/typebox';
import { Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

export const AlertKind = Type.Union([
  Type.Literal('site_offline'),
  Type.Literal('site_cameras_down'),
  Type.Literal('camera_down'),
  Type.Literal('camera_flapping'),
]);
export type AlertKind = Static<typeof AlertKind>;

/** A site- or camera-level incident for control rooms: one per failing dependency, not one per camera. */
export const Alert = Type.Object(
  {
    id: Type.String({ description: 'Stable for the life of the alert: kind and subject' }),
    kind: AlertKind,
    severity: Type.Union([Type.Literal('major'), Type.Literal('minor')]),
    siteId: Id,
    councilId: Id,
    cameraIds: Type.Array(Id, { description: 'Cameras affected' }),
    message: Type.String(),
    openedAt: IsoTime,
    clearedAt: Nullable(IsoTime),
    acknowledgedBy: Nullable(Type.String()),
    acknowledgedAt: Nullable(IsoTime),
  },
  closed,
);
export type Alert = Static<typeof Alert>;

export const ALERT_EVENTS = {
  /** Server to client, with an acknowledgement callback: an alert opened, changed or cleared. */
  alert: 'alert',
  /** Server to client on connect: the open alerts in scope. */
  alerts: 'alerts',
  /** Client to server: an operator acknowledges an alert `{ id }`; the reply is `{ ok, error? }`. */
  acknowledge: 'alert:acknowledge',
} as const;
