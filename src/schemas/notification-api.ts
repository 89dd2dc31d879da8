import { type Static, Type } from '@sinclair/typebox';
import { AlertKind } from './alert-api.ts';
import { Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

/**
 * Where a rule sends: e-mail through the hub's SMTP relay, or a webhook signed with the rule's own
 * secret. (The MQTT alert topic is one hub-wide channel, not a rule: see docs/alerts.md.)
 */
export const NotificationChannel = Type.Union([Type.Literal('email'), Type.Literal('webhook')]);
export type NotificationChannel = Static<typeof NotificationChannel>;

const WallClock = Type.String({
  pattern: '^([01]\\d|2[0-3]):[0-5]\\d$',
  description: 'HH:MM, Europe/London wall-clock time',
});

export const QuietHours = Type.Object(
  {
    start: WallClock,
    end: WallClock,
  },
  {
    ...closed,
    description:
      'Nothing is sent between start and end (across midnight when end is earlier); what would have been sent is listed in the deliveries as held for quiet hours, and a digest rule still reports it',
  },
);
export type QuietHours = Static<typeof QuietHours>;

export const NotificationMode = Type.Union([Type.Literal('immediate'), Type.Literal('digest')]);
export type NotificationMode = Static<typeof NotificationMode>;

const Severity = Type.Union([Type.Literal('major'), Type.Literal('minor')]);

/** What a user asks to be told, and how. Empty or missing lists mean "all in my scope". */
export const NotificationRuleInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    channel: NotificationChannel,
    target: Type.String({
      minLength: 3,
      maxLength: 400,
      description: 'An e-mail address, or for a webhook an http(s) URL',
    }),
    councilIds: Type.Optional(Type.Array(Id, { maxItems: 100, uniqueItems: true })),
    siteIds: Type.Optional(Type.Array(Id, { maxItems: 500, uniqueItems: true })),
    kinds: Type.Optional(Type.Array(AlertKind, { maxItems: 10, uniqueItems: true })),
    severities: Type.Optional(Type.Array(Severity, { maxItems: 2, uniqueItems: true })),
    quietHours: Type.Optional(Nullable(QuietHours)),
    mode: Type.Optional(NotificationMode),
    digestHour: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 23, description: 'Europe/London hour the daily digest is sent' }),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type NotificationRuleInput = Static<typeof NotificationRuleInput>;

export const NotificationRule = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9]{1,18}$' }),
    owner: Type.String(),
    name: Type.String(),
    channel: NotificationChannel,
    target: Type.String(),
    councilIds: Type.Array(Id),
    siteIds: Type.Array(Id),
    kinds: Type.Array(AlertKind),
    severities: Type.Array(Severity),
    quietHours: Nullable(QuietHours),
    mode: NotificationMode,
    digestHour: Type.Integer({ minimum: 0, maximum: 23 }),
    enabled: Type.Boolean(),
    createdAt: IsoTime,
    lastDigestAt: Nullable(IsoTime),
  },
  closed,
);
export type NotificationRule = Static<typeof NotificationRule>;

/** A new webhook rule carries its signing secret once; it is never shown again (rotate to replace). */
export const NotificationRuleCreated = Type.Object(
  {
    rule: NotificationRule,
    secret: Nullable(
      Type.String({ description: 'Webhook signing secret: shown once, at creation or rotation' }),
    ),
  },
  closed,
);
export type NotificationRuleCreated = Static<typeof NotificationRuleCreated>;

export const DeliveryState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('dead'),
  Type.Literal('quiet'),
]);
export type DeliveryState = Static<typeof DeliveryState>;

export const Delivery = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9]{1,18}$' }),
    ruleId: Nullable(Type.String()),
    ruleName: Nullable(Type.String()),
    channel: Type.Union([NotificationChannel, Type.Literal('mqtt')]),
    target: Type.String(),
    kind: Type.Union([Type.Literal('alerts'), Type.Literal('digest'), Type.Literal('test')]),
    subject: Type.String(),
    state: DeliveryState,
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Nullable(IsoTime),
    lastError: Nullable(Type.String()),
    createdAt: IsoTime,
    deliveredAt: Nullable(IsoTime),
  },
  closed,
);
export type Delivery = Static<typeof Delivery>;

export const DeliveryQuery = Type.Object(
  {
    state: Type.Optional(DeliveryState),
    ruleId: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  closed,
);
export type DeliveryQuery = Static<typeof DeliveryQuery>;

/** The body of every webhook and MQTT alert message (e-mails carry the same facts as text). */
export const AlertNotice = Type.Object(
  {
    type: Type.Union([Type.Literal('alerts'), Type.Literal('digest'), Type.Literal('test')]),
    hubId: Nullable(Type.String({ description: "The site's hub (null for digests and tests)" })),
    sentAt: IsoTime,
    siteId: Nullable(Id),
    councilId: Nullable(Id),
    summary: Type.String({ description: 'One line, as the e-mail subject' }),
    opened: Type.Array(Type.Unknown(), { description: 'Alerts opened (Alert objects)' }),
    resolved: Type.Array(Type.Unknown(), { description: 'Alerts resolved (Alert objects)' }),
    stillOpen: Type.Integer({ minimum: 0, description: 'For a digest: alerts open when it was built' }),
  },
  closed,
);
export type AlertNotice = Static<typeof AlertNotice>;
