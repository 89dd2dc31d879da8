import { type Static, Type } from '@sinclair/typebox';
import { Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

export const AlertKind = Type.Union([
  Type.Literal('site_offline'),
  Type.Literal('site_cameras_down'),
  Type.Literal('camera_down'),
  Type.Literal('camera_flapping'),
  Type.Literal('site_refused'),
  // At a hub receiving another hub's cameras: the link to their hub is down.
  Type.Literal('hub_link_down'),
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
    ackComment: Nullable(Type.String({ maxLength: 500, description: 'What the acknowledging user wrote' })),
  },
  closed,
);
export type Alert = Static<typeof Alert>;

/** An alert as kept in the hub's history: the live alert plus its record number. */
export const AlertRecord = Type.Intersect([
  Alert,
  Type.Object({
    uid: Type.String({ pattern: '^[0-9]{1,18}$', description: 'Record number: unique across reopenings' }),
  }),
]);
export type AlertRecord = Static<typeof AlertRecord>;

export const AlertState = Type.Union([
  Type.Literal('open'),
  Type.Literal('acknowledged'),
  Type.Literal('resolved'),
]);
export type AlertState = Static<typeof AlertState>;

export const AlertHistoryQuery = Type.Object(
  {
    state: Type.Optional(AlertState),
    councilId: Type.Optional(Id),
    siteId: Type.Optional(Id),
    kind: Type.Optional(AlertKind),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    before: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,18}$', description: 'Page on: the uid of the last record shown' }),
    ),
  },
  closed,
);
export type AlertHistoryQuery = Static<typeof AlertHistoryQuery>;

export const AlertHistoryPage = Type.Object(
  {
    alerts: Type.Array(AlertRecord, { description: 'Newest first' }),
    next: Nullable(Type.String({ description: 'Pass as before for the next page; null at the end' })),
  },
  closed,
);
export type AlertHistoryPage = Static<typeof AlertHistoryPage>;

export const AlertAcknowledge = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 500, description: 'What is being done about it' })) },
  closed,
);
export type AlertAcknowledge = Static<typeof AlertAcknowledge>;

/**
 * Alerts over the live socket, for sockets that connect with `auth.alerts: true` (control-room
 * clients; a map view that only shows camera state leaves it out and is sent no alerts). Every
 * message carries a sequence number; the client acknowledges the highest one it has applied with
 * `alert:received { seq }` (cumulative, like TCP). One not acknowledged within alerts.ackTimeoutMs
 * is followed by a fresh `alerts` list; a socket that acknowledges nothing after three such lists
 * is disconnected (its client reconnects and starts from a fresh list).
 */
export const AlertList = Type.Object(
  {
    seq: Type.Integer({ minimum: 0 }),
    alerts: Type.Array(Alert, { description: 'Every open alert in scope: replaces what the client holds' }),
  },
  closed,
);
export type AlertList = Static<typeof AlertList>;

export const AlertChanges = Type.Object(
  {
    seq: Type.Integer({ minimum: 0 }),
    alerts: Type.Array(Alert, {
      description:
        'Alerts opened, changed or cleared (clearedAt set) since the last message, latest version of each',
    }),
  },
  closed,
);
export type AlertChanges = Static<typeof AlertChanges>;

export const ALERT_EVENTS = {
  /** Server to client: the open alerts in scope (`AlertList`), on connect and to resynchronise. */
  alerts: 'alerts',
  /** Server to client: alerts opened, changed or cleared (`AlertChanges`). */
  changes: 'alert:changes',
  /** Client to server: `{ seq }`, the highest alert message applied (acknowledges it and all before). */
  received: 'alert:received',
  /** Client to server: an operator acknowledges an alert `{ id }`; the reply is `{ ok, error? }`. */
  acknowledge: 'alert:acknowledge',
} as const;
